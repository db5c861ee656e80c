/*
 * tc classifiers for the loss tests on tt0, the kernel side of the TAP:
 *
 *   sec "tc"       drops a random DROP_PER_MILLE of every 1000 IPv4 frames.  Attached to
 *                  ingress it loses what the appliance sends.
 *   sec "corrupt"  spoils the TCP checksum of a random DROP_PER_MILLE of every 1000 IPv4/TCP
 *                  frames and lets them go.  Attached to egress it loses what the kernel
 *                  sends: a frame dropped at egress would be reported back to the kernel's
 *                  TCP as local congestion and resent at once, never seen as lost, while a
 *                  frame with a bad checksum leaves, and the appliance must discard it.
 *
 * ARP and everything that is not IPv4 pass, so neighbour resolution never stalls a test.
 *
 *   clang -O2 -target bpf -DDROP_PER_MILLE=30 -c drop.c -o drop.o
 *   tc qdisc add dev tt0 clsact
 *   tc filter add dev tt0 ingress bpf da obj drop.o sec tc
 *   tc filter add dev tt0 egress bpf da obj drop.o sec corrupt
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#ifndef DROP_PER_MILLE
#define DROP_PER_MILLE 30
#endif

/* BPF helpers are called by number (bpf_get_prandom_u32 is 7). */
static __u32 (*const get_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;
static long (*const skb_load_bytes)(const struct __sk_buff *skb, __u32 off, void *to,
				    __u32 len) = (void *)BPF_FUNC_skb_load_bytes;
static long (*const skb_store_bytes)(struct __sk_buff *skb, __u32 off, const void *from,
				     __u32 len, __u64 flags) = (void *)BPF_FUNC_skb_store_bytes;

static int is_ipv4(const struct __sk_buff *skb)
{
	/* skb->protocol is in network byte order; the BPF target is little endian here. */
	return skb->protocol == __builtin_bswap16(ETH_P_IP);
}

static int chosen(void)
{
	return get_prandom_u32() % 1000 < DROP_PER_MILLE;
}

__attribute__((section("tc"), used)) int drop_some(struct __sk_buff *skb)
{
	if (!is_ipv4(skb))
		return TC_ACT_OK;
	return chosen() ? TC_ACT_SHOT : TC_ACT_OK;
}

__attribute__((section("corrupt"), used)) int corrupt_some(struct __sk_buff *skb)
{
	__u8 ip[10];
	__u16 sum;
	__u32 off;

	if (!is_ipv4(skb) || !chosen())
		return TC_ACT_OK;
	if (skb_load_bytes(skb, ETH_HLEN, ip, sizeof(ip)) != 0 || ip[9] != IPPROTO_TCP)
		return TC_ACT_OK;
	/* TCP checksum: offset 16 of the TCP header, after the IPv4 header of IHL words. */
	off = ETH_HLEN + (__u32)(ip[0] & 0xf) * 4 + 16;
	if (skb_load_bytes(skb, off, &sum, sizeof(sum)) != 0)
		return TC_ACT_OK;
	/* Whether the kernel completes the sum later (offload) or already did, a changed
	 * field leaves a sum that does not verify. */
	sum ^= 0x5a5a;
	skb_store_bytes(skb, off, &sum, sizeof(sum), 0);
	return TC_ACT_OK;
}

char drop_license[] __attribute__((section("license"), used)) = "GPL";
