/* Privileged helper for the guest agent: the clock and the kernel's random pool, which Node cannot reach, and the
 * start of a sandbox's runtime in a mount namespace of its own, as the sandbox's uid. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/random.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr,
          "usage: guestctl sync <epoch-ms> <monotonic-ns-when-sent>  (entropy bytes on stdin)\n"
          "       guestctl enter <tmp-dir> <uid> <program> [args...]\n");
  return 2;
}

/* Brings up the loopback of a new network namespace, so a task can still talk to itself on 127.0.0.1. */
static int loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  close(fd);
  return rc;
}

/*
 * Runs <program> with /tmp bound to <tmp-dir> in a mount namespace of its own and a network namespace of its own,
 * then as <uid> (group <uid>, no supplementary groups, no way back to privilege). Every sandbox of a VM gets a
 * /tmp nobody else sees, as Lambda gives each function its own, and neither its sockets on loopback nor its
 * abstract unix sockets are reachable from a neighbour. The exec keeps the pid, so the agent's bookkeeping
 * (cgroup) still holds.
 */
static int enter(int argc, char **argv) {
  if (argc < 5) return usage();
  const char *tmp = argv[2];
  char *end;
  long uid = strtol(argv[3], &end, 10);
  if (*end != '\0' || uid < 1000 || uid > 65535) return usage();
  if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
    fprintf(stderr, "unshare: %s\n", strerror(errno));
    return 1;
  }
  if (loopback_up() != 0) {
    fprintf(stderr, "loopback up: %s\n", strerror(errno));
    return 1;
  }
  /* Nothing mounted here reaches the VM's own namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fprintf(stderr, "mount --make-rprivate /: %s\n", strerror(errno));
    return 1;
  }
  if (mount(tmp, "/tmp", NULL, MS_BIND, NULL) != 0) {
    fprintf(stderr, "mount --bind %s /tmp: %s\n", tmp, strerror(errno));
    return 1;
  }
  if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0) {
    fprintf(stderr, "dropping to uid %ld: %s\n", uid, strerror(errno));
    return 1;
  }
  if (setuid(0) == 0 || getuid() != (uid_t)uid || geteuid() != (uid_t)uid) {
    fprintf(stderr, "still privileged after dropping to uid %ld\n", uid);
    return 1;
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  execv(argv[4], &argv[4]);
  fprintf(stderr, "exec %s: %s\n", argv[4], strerror(errno));
  return 127;
}

static int sync_clock_and_entropy(int argc, char **argv) {
  if (argc != 4) return usage();
  long long epoch_ms = atoll(argv[2]);
  long long sent_ns = atoll(argv[3]);
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  /* The host's time was right when the agent received it; add what elapsed since then. */
  long long elapsed_ns = (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec - sent_ns;
  if (elapsed_ns < 0) elapsed_ns = 0;
  long long now_ns = epoch_ms * 1000000LL + elapsed_ns;
  struct timespec ts = {.tv_sec = now_ns / 1000000000LL, .tv_nsec = now_ns % 1000000000LL};
  if (clock_settime(CLOCK_REALTIME, &ts) != 0) {
    fprintf(stderr, "clock_settime: %s\n", strerror(errno));
    return 1;
  }

  unsigned char buf[512];
  ssize_t n = read(0, buf, sizeof buf);
  if (n > 0) {
    struct {
      int entropy_count;
      int buf_size;
      unsigned char buf[512];
    } pool;
    pool.entropy_count = (int)n * 8;
    pool.buf_size = (int)n;
    memcpy(pool.buf, buf, (size_t)n);
    int fd = open("/dev/urandom", O_RDWR);
    if (fd < 0 || ioctl(fd, RNDADDENTROPY, &pool) != 0) {
      fprintf(stderr, "RNDADDENTROPY: %s\n", strerror(errno));
      return 1;
    }
    /* Reseed the CRNG now rather than at its next scheduled reseed, so clones diverge before any sandbox runs. */
    if (ioctl(fd, RNDRESEEDCRNG) != 0) {
      fprintf(stderr, "RNDRESEEDCRNG: %s\n", strerror(errno));
      return 1;
    }
    close(fd);
  }
  printf("%lld\n", elapsed_ns);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "sync") == 0) return sync_clock_and_entropy(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "enter") == 0) return enter(argc, argv);
  return usage();
}
