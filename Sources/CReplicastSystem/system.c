#include "CReplicastSystem.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <netinet/udp.h>

_Static_assert(sizeof(struct rc_mmsghdr) == sizeof(struct mmsghdr), "rc_mmsghdr size");
_Static_assert(offsetof(struct rc_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "rc_mmsghdr layout");
_Static_assert(RC_UDP_SEGMENT == UDP_SEGMENT, "UDP_SEGMENT");
_Static_assert(RC_UDP_GRO == UDP_GRO, "UDP_GRO");
_Static_assert(RC_SOL_UDP == SOL_UDP, "SOL_UDP");
_Static_assert(RC_IP_MULTICAST_ALL == IP_MULTICAST_ALL, "IP_MULTICAST_ALL");
_Static_assert(RC_SO_RCVBUFFORCE == SO_RCVBUFFORCE, "SO_RCVBUFFORCE");
_Static_assert(RC_SO_SNDBUFFORCE == SO_SNDBUFFORCE, "SO_SNDBUFFORCE");
_Static_assert(RC_MSG_TRUNC == MSG_TRUNC, "MSG_TRUNC");
_Static_assert(RC_MSG_DONTWAIT == MSG_DONTWAIT, "MSG_DONTWAIT");
_Static_assert(RC_UDP_CMSG_SPACE >= CMSG_SPACE(sizeof(int)), "cmsg space");

int rc_sendmmsg(int fd, struct rc_mmsghdr *vec, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vec, count, flags);
}

int rc_recvmmsg(int fd, struct rc_mmsghdr *vec, unsigned int count, int flags, struct timespec *timeout) {
    return recvmmsg(fd, (struct mmsghdr *)vec, count, flags, timeout);
}

void rc_set_udp_segment(struct msghdr *msg, void *control, uint16_t segment_size) {
    memset(control, 0, RC_UDP_CMSG_SPACE);
    msg->msg_control = control;
    msg->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(cm), &segment_size, sizeof(segment_size));
}

void rc_clear_control(struct msghdr *msg) {
    msg->msg_control = NULL;
    msg->msg_controllen = 0;
}

int rc_udp_gro_segment_size(const struct msghdr *msg) {
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
        if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO && cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int size;
            memcpy(&size, CMSG_DATA(cm), sizeof(size));
            return size;
        }
    }
    return 0;
}

int rc_eventfd_open(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int rc_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof(one)); } while (n < 0 && errno == EINTR);
    // EAGAIN means the counter is saturated: the eventfd is already signalled.
    if (n < 0 && errno == EAGAIN) return 0;
    return n == (ssize_t)sizeof(one) ? 0 : -1;
}

int rc_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t n;
    do { n = read(fd, &value, sizeof(value)); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(value)) return 1;
    if (n < 0 && errno == EAGAIN) return 0;
    return -1;
}
