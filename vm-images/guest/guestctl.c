/* Privileged one-shot helper for the guest agent: the clock and the kernel's random pool, which Node cannot reach. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int usage(void) {
  fprintf(stderr, "usage: guestctl sync <epoch-ms> <monotonic-ns-when-sent>  (entropy bytes on stdin)\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 4 || strcmp(argv[1], "sync") != 0) return usage();
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
