/*
 * LD_PRELOAD shim: a bind() to the wildcard address (0.0.0.0 or ::) on a non-zero port is
 * turned into a bind to loopback (127.0.0.1, or ::ffff:127.0.0.1 on a dual-stack IPv6
 * socket, which still accepts IPv4 clients on 127.0.0.1).
 *
 * Used for the Hive 2.3 metastore (HiveMetaStore), which always binds its Thrift port to the
 * wildcard address and has no setting to change that. Built by tests/servers/common.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static bind_fn real_bind;
    if (!real_bind)
        real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");

    if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in a;
        memcpy(&a, addr, sizeof a);
        if (a.sin_addr.s_addr == htonl(INADDR_ANY) && a.sin_port != 0) {
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real_bind(fd, (const struct sockaddr *)&a, sizeof a);
        }
    } else if (addr && addr->sa_family == AF_INET6 &&
               len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 a6;
        memcpy(&a6, addr, sizeof a6);
        if (IN6_IS_ADDR_UNSPECIFIED(&a6.sin6_addr) && a6.sin6_port != 0) {
            inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
            return real_bind(fd, (const struct sockaddr *)&a6, sizeof a6);
        }
    }
    return real_bind(fd, addr, len);
}
