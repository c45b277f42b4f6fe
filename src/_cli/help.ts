/**
 * The hand-written `procrun --help` text.
 *
 * @module
 */

/** The usage text, with real examples. */
export const HELP = `procrun: run a command (or a function) once per argument, many at once.

Usage:
  procrun [options] [--] command [args...] ::: arg1 arg2 ... [::: more ...]
  procrun report [--out FILE] LOG  (an HTML timeline of a run: see report --help)
  procrun [options] [--] command [args...] < lines.txt
  procrun [options] --arg-file lines.txt [--] command [args...]
  procrun [options] --module FILE [--export NAME] [::: args...]

Each argument (or each non-empty input line) is one task. '{}' in the command
is replaced by the argument; without '{}' the argument is appended. No shell is
involved unless --shell is given. A task's key is its 1-based input position
(line number), or with --key-sep SEP the text before SEP on its line.

Replacement strings (GNU parallel's): {} every value, {n} the nth (source or
column; {-n} from the end), {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension (also {n.} {n/} {n//} {n/.}), {#} sequence,
{%} job slot (1 to -j, never two running tasks with the same).

Input:
  ::: ARGS...            the task arguments (after the command); several
                         ::: groups give every combination, the last fastest
  :::: FILES...          the lines of each file, as another input source
  :::+ / ::::+           pair with the source before, value by value
      --link             pair all sources (the shorter ones wrap)
  -a, --arg-file FILE    one argument per line of FILE (default: standard input);
                         given twice or more, each file is an input source
  -0, --null             input items end with NUL, not newline
  -d, --delimiter CHAR   input items end with CHAR (also \n, \t, \0)
      --colsep REGEX     split each input line into columns {1} {2} ...
  -N, --max-args N       N input values per task, as {1} ... {N}
      --key-sep SEP      each line is KEY SEP ARG; KEY names the task
      --shell            run the command text with 'sh -c', the argument as "$1"
                         ('{}' in the text becomes "$1"; it is never spliced in)
      --module FILE      call a function instead: fn(key, [...args, arg], signal)
                         returning [success, answer]
      --export NAME      the module's export to call (default: default)

Running:
  -j, -P, --jobs N       tasks at once (default 4; 0 for no limit, or one
                         worker per core with --engine workers)
      --timeout SECONDS  per-task time limit, from the task's own start (0: none;
                         also 30s, 5m, 2h, 1d, or P% of the median run time of
                         the tasks that succeeded so far, once one has)
  -t, --verbose          print each command line on stderr as its task starts
  -q, --quote            with --shell, quote each word of the command (as GNU
                         parallel's -q; without --shell nothing is parsed anyway)
      --kill-grace SECONDS  wait between SIGTERM and SIGKILL (default 2)
      --engine async|workers  where tasks run: main thread or Web Workers
      --isolation thread|process  with --engine workers: worker threads (the
                         default), or worker processes (a timeout kills one at
                         once, a crash or out of memory fails one task alone)
      --memory-limit MIB the V8 heap limit of each worker process
  -S, --sshlogin LOGINS  run the commands on these hosts over ssh:
                         [N/][user@]host[:port], ':' for here, comma lists
                         or repeated (N: job slots, default the host's cores)
      --sshloginfile FILE  more hosts, one per line (or comma lists), read
                         again every second: hosts can join and leave mid-run
      --ssh CMD          the ssh command (default: ssh -o BatchMode=yes)
      --workdir DIR      the commands' working directory on the hosts (made)
      --env NAME         copy this variable to the commands on the hosts
      --retries N        attempts per task in all, the first included (0: no
                         limit); each attempt with its own timeout
      --retry-delay SECONDS  wait before the first retry, doubling after each
                         (at most 60 s, or SECONDS if longer)
      --halt WHEN,WHY=N  stop early: WHEN is soon (start nothing new) or now
                         (also stop running tasks); WHY is fail, success or
                         done; N a count or P% of the tasks started so far.
                         Also GNU parallel's 0, 1, 2, -1, -2 and P%
      --resume           skip the tasks already in --joblog FILE (same Seq
                         and same command: a changed command runs again)
      --resume-failed    skip only those that succeeded there
      --delay SECONDS    at least this long between two task starts
      --dry-run          print what would run, run nothing

Output:
  (default)              each task's stdout and stderr, whole and byte for
                         byte, as it finishes (past 1 MiB held in a temporary
                         file, never cut); then a summary line on stderr
      --max-output-bytes N  keep at most N bytes of each task's stdout and
                         stderr; a cut is said on stderr and in the results
  -k, --keep-order       print in input order instead of completion order
      --tag              start each output line with the task's values and a tab
      --tagstring STR    ... with STR instead (replacement strings work)
      --line-buffer      write each task's output line by line as it comes
                         (lines of tasks mix, but never break)
      --results DIR      also write each task's seq, stdout and stderr in
                         DIR/1/<value 1>/2/<value 2>/..., as GNU parallel
      --report           a readable report of every result at the end
      --json             one JSON array of results at the end
      --jsonl            one JSON object per result, as each finishes
      --joblog FILE      GNU parallel's joblog (Seq Host Starttime JobRuntime
                         Send Receive Exitval Signal Command); - for stdout;
                         +FILE appends (as --resume does)
      --trace FILE       the run's trace as it goes, for ui.perfetto.dev
                         (Chrome Trace Event JSON; see procrun report)
      --progress         a progress bar on stderr (default: on when stderr is
                         a terminal; --no-progress turns it off)
      --color auto|always|never  colour (auto honours NO_COLOR)
      --quiet            no summary, notes or progress from procrun itself
  -h, --help             this text
  -V, --version          procrun's version, and how it starts commands

Environment:
  PROCRUN_SPAWN=auto|posix_spawn|setsid|detached  how commands are started in
                         a process group of their own: auto takes the fastest
                         that works here (posix_spawn needs --allow-ffi or -A)

Exit status:
  0 every task succeeded; 1-100 the number of failed tasks (at least 1 when a
  --module function raised an error outside its tasks); 101 more than 100
  failed; 130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP; 141 standard
  output closed (| head): the run is stopped quietly; 255 usage or other errors
  (also: a bad --key-sep input line, after the tasks read before it end).
  After --halt: with fail=1 or done=1 the status of the task that set it off
  (128 + its signal number if killed), with success= 0, else as above (for
  P%, the failed share of the tasks started, in percent).

Examples:
  procrun -j 4 -- sleep ::: 1 7 2 2 1
  find . -name '*.png' | procrun -j 8 --timeout 60 -- optipng -o2 {}
  procrun --shell -- 'gzip -c "$1" > "$1.gz"' ::: a.log b.log
  procrun --jsonl -- curl -sI ::: https://example.com https://deno.land | jq .returncode
  procrun --module ./work.ts --export process --arg-file ids.txt
  procrun --joblog jobs.tsv --keep-order -- ./build.sh ::: x86 arm
`;
