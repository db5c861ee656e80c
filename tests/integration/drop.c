/*
 * tc classifier for the loss tests: drops a random DROP_PER_MILLE out of
 * every 1000 IPv4 frames and passes everything else (ARP included, so
 * neighbour resolution never stalls a test).
 *
 *   clang -O2 -target bpf -DDROP_PER_MILLE=30 -c drop.c -o drop.o
 *   tc qdisc add dev tt0 clsact
 *   tc filter add dev tt0 ingress bpf da obj drop.o sec tc
 *
 * On the kernel side of the TAP, "ingress" is what the appliance sends and
 * "egress" is what the kernel sends to the appliance.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#ifndef DROP_PER_MILLE
#define DROP_PER_MILLE 30
#endif

/* A BPF helper is called by its number; 7 is bpf_get_prandom_u32. */
static __u32 (*const get_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;

__attribute__((section("tc"), used)) int drop_some(struct __sk_buff *skb)
{
	/* skb->protocol is in network byte order; the target is little endian. */
	if (skb->protocol != __builtin_bswap16(ETH_P_IP))
		return TC_ACT_OK;
	return get_prandom_u32() % 1000 < DROP_PER_MILLE ? TC_ACT_SHOT : TC_ACT_OK;
}

char drop_license[] __attribute__((section("license"), used)) = "GPL";
