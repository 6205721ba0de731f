#pragma once
// Thin wrappers over Linux socket facilities that Swift's Glibc module does not show
// (it is built without _GNU_SOURCE): sendmmsg / recvmmsg with a mirror of struct mmsghdr,
// UDP GSO / GRO control messages, IP_MULTICAST_ALL, and eventfd.

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <time.h>

/// Mirror of struct mmsghdr (layout checked in system.c).
struct rc_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// Socket option values, whatever the C library headers define.
enum {
    RC_SOL_UDP = 17,
    RC_UDP_SEGMENT = 103,
    RC_UDP_GRO = 104,
    RC_IP_MULTICAST_ALL = 49,
    RC_SO_RCVBUFFORCE = 33,
    RC_SO_SNDBUFFORCE = 32,
    RC_MSG_TRUNC = 0x20,
    RC_MSG_DONTWAIT = 0x40,
};

/// Bytes of control buffer one message needs for a UDP_SEGMENT / UDP_GRO control message.
#define RC_UDP_CMSG_SPACE 32

/// sendmmsg(2); returns messages sent or -1 with errno set.
int rc_sendmmsg(int fd, struct rc_mmsghdr *vec, unsigned int count, int flags);

/// recvmmsg(2); returns messages received or -1 with errno set.
int rc_recvmmsg(int fd, struct rc_mmsghdr *vec, unsigned int count, int flags, struct timespec *timeout);

/// Writes a UDP_SEGMENT control message asking for `segment_size` byte segments into
/// `control` (at least RC_UDP_CMSG_SPACE bytes) and points `msg` at it.
void rc_set_udp_segment(struct msghdr *msg, void *control, uint16_t segment_size);

/// Clears `msg`'s control buffer.
void rc_clear_control(struct msghdr *msg);

/// The UDP_GRO segment size carried by a received message's control data, or 0 if none.
int rc_udp_gro_segment_size(const struct msghdr *msg);

/// eventfd(2) with EFD_NONBLOCK | EFD_CLOEXEC; returns the descriptor or -1.
int rc_eventfd_open(void);

/// Adds 1 to an eventfd's counter; returns 0 or -1 with errno set.
int rc_eventfd_signal(int fd);

/// Resets an eventfd's counter; returns 1 if it was signalled, 0 if not, -1 on error.
int rc_eventfd_drain(int fd);
