/*
 * tt_service: what running as a systemd service needs from the appliance.
 *
 * Readiness: with NOTIFY_SOCKET set (Type=notify), READY=1 is sent once
 * every port is started and the workers run, STOPPING=1 when the drain
 * starts, each with a STATUS= line for `systemctl status`.  Sent through
 * libsystemd's sd_notify when built with it (meson finds libsystemd by
 * pkg-config); a build without it sends nothing and says so at start when
 * NOTIFY_SOCKET is set, so a Type=notify unit then times out visibly.
 *
 * Logging: DPDK's log (rte_log) goes to stderr only.  EAL's default stream
 * also copies every message to syslog, which under systemd puts each line
 * in the journal twice.  When stderr is the journal (JOURNAL_STREAM names
 * its device and inode, see systemd.exec(5)), each line starts with its
 * syslog priority, "<3>" for an error, so the journal keeps the level; the
 * text itself is DPDK's, with no colours or other control characters.
 *
 * Main lcore only: tt_service_log_init before rte_eal_init (so EAL's own
 * messages take the same path), the notifications afterwards.
 */
#ifndef TT_SERVICE_H
#define TT_SERVICE_H

/* Point rte_log at stderr (with priorities for the journal); 0 or -errno. */
int tt_service_log_init(void);

/* READY=1 with status; nothing without NOTIFY_SOCKET.  0 or -errno. */
int tt_service_notify_ready(const char *status);

/* STOPPING=1 with status. */
int tt_service_notify_stopping(const char *status);

#endif
