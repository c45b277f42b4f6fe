/*
 * The floor: spawn N commands, P at a time, with posix_spawn and waitpid, and
 * nothing else (no pipes, no process groups, no timers). Each command gets
 * its task's number as its last argument, as procrun, xargs -n 1 and GNU
 * parallel give it theirs (it matters: coreutils' `true` with an argument sets
 * up its locale). Compiled with cc by bench/compare.ts into a temporary
 * directory.
 *
 * usage: posix_spawn_floor TASKS PARALLEL COMMAND [ARGS...]
 * prints one JSON line: {"name","tasks","seconds"}
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s TASKS PARALLEL COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  long tasks = atol(argv[1]);
  long parallel = atol(argv[2]);
  int words = argc - 3;
  char **command = calloc(words + 2, sizeof(char *));
  char number[24];
  for (int i = 0; i < words; i++) command[i] = argv[3 + i];
  command[words] = number;
  double t0 = now();
  long started = 0, running = 0, failed = 0;
  while (started < tasks || running > 0) {
    while (running < parallel && started < tasks) {
      pid_t pid;
      snprintf(number, sizeof number, "%ld", started);
      if (posix_spawn(&pid, command[0], NULL, NULL, command, environ) != 0) {
        failed++;
      } else {
        running++;
      }
      started++;
    }
    if (running == 0) break;
    int status;
    if (waitpid(-1, &status, 0) > 0) {
      running--;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
  }
  printf("{\"name\":\"posix_spawn_floor\",\"tasks\":%ld,\"seconds\":%.6f,\"failed\":%ld}\n", tasks,
         now() - t0, failed);
  return failed ? 1 : 0;
}
