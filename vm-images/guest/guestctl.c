/* Privileged helper for the guest agent: the clock and the kernel's random pool, which Node cannot reach, a fresh
 * file system for each load of a slot, and the start of a sandbox's runtime in a mount namespace of its own, as
 * the sandbox's uid. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr,
          "usage: guestctl sync <epoch-ms> <monotonic-ns-when-sent>  (entropy bytes on stdin)\n"
          "       guestctl enter <tmp-dir> <uid> <program> [args...]\n"
          "       guestctl fresh <slot-dir> <size-mb> [<uid>]\n");
  return 2;
}

/* A sandbox uid: never root's or a system account's; below 2^31 so that no call reads it as -1. */
static int parse_uid(const char *s, long *uid) {
  char *end;
  errno = 0;
  *uid = strtol(s, &end, 10);
  return errno == 0 && *end == '\0' && *uid >= 1000 && *uid < 0x7fffffffL ? 0 : -1;
}

/* Makes <name> in the folder <root> a new folder of <uid>'s alone, set up through a descriptor of what was made. */
static int own_folder(int root, const char *name, long uid) {
  if (mkdirat(root, name, 0700) != 0) return -1;
  int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fchown(fd, (uid_t)uid, (gid_t)uid) == 0 && fchmod(fd, 0700) == 0 ? 0 : -1;
  close(fd);
  return rc;
}

/*
 * Gives a slot a new, empty file system in place of the one it had: the old one is detached, not emptied, so
 * nothing a previous load left in it (a link, a folder swapped while it was being removed) is ever followed, and
 * whatever still holds it open (a process of an earlier load) keeps a file system nobody else sees. The root is
 * root's (0711); with <uid>, it holds that uid's own task, tmp and home.
 */
static int fresh(int argc, char **argv) {
  if (argc != 4 && argc != 5) return usage();
  const char *dir = argv[2];
  char *end;
  long size_mb = strtol(argv[3], &end, 10);
  long uid = -1;
  if (*end != '\0' || size_mb < 1 || size_mb > 65536) return usage();
  if (argc == 5 && parse_uid(argv[4], &uid) != 0) return usage();
  if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL) {
    fprintf(stderr, "umount %s: %s\n", dir, strerror(errno));
    return 1;
  }
  char options[96];
  snprintf(options, sizeof options, "size=%ldm,mode=0711,uid=0,gid=0", size_mb);
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) {
    fprintf(stderr, "mount tmpfs %s: %s\n", dir, strerror(errno));
    return 1;
  }
  if (uid < 0) return 0;
  int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) {
    fprintf(stderr, "open %s: %s\n", dir, strerror(errno));
    return 1;
  }
  const char *names[] = {"task", "tmp", "home"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (own_folder(root, names[i], uid) != 0) {
      fprintf(stderr, "%s/%s for uid %ld: %s\n", dir, names[i], uid, strerror(errno));
      return 1;
    }
  }
  close(root);
  return 0;
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
  long uid;
  if (parse_uid(argv[3], &uid) != 0) return usage();
  if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
    fprintf(stderr, "unshare: %s\n", strerror(errno));
    return 1;
  }
  if (loopback_up() != 0) {
    fprintf(stderr, "loopback up: %s\n", strerror(errno));
    return 1;
  }
  /* Nothing mounted here reaches the VM's own namespace, but what the agent mounts and detaches under the shared
   * /var/sandboxes (see fresh, sysinit) reaches this one: a slot's old file system goes from every sandbox's view
   * with the load it belonged to, and the memory its files held comes back then, not when the last sandbox that
   * started before exits. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
    fprintf(stderr, "mount --make-rslave /: %s\n", strerror(errno));
    return 1;
  }
  /* The folder is taken by a descriptor, never followed if it is a link, and only if it is the sandbox's own: what
   * gets bound over /tmp is what was checked. Opened in the new namespace: a bind takes its source from there. */
  int tmp_fd = open(tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (tmp_fd < 0 || fstat(tmp_fd, &st) != 0) {
    fprintf(stderr, "open %s: %s\n", tmp, strerror(errno));
    return 1;
  }
  if (st.st_uid != (uid_t)uid || (st.st_mode & 022) != 0) {
    fprintf(stderr, "%s is not a folder of uid %ld's alone\n", tmp, uid);
    return 1;
  }
  char tmp_by_fd[64];
  snprintf(tmp_by_fd, sizeof tmp_by_fd, "/proc/self/fd/%d", tmp_fd);
  if (mount(tmp_by_fd, "/tmp", NULL, MS_BIND, NULL) != 0) {
    fprintf(stderr, "mount --bind %s /tmp: %s\n", tmp, strerror(errno));
    return 1;
  }
  close(tmp_fd);
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
  if (argc >= 2 && strcmp(argv[1], "fresh") == 0) return fresh(argc, argv);
  return usage();
}
