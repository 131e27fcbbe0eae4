/*
 * term.c - terminal size and the pager.
 */
#define _GNU_SOURCE         /* setenv in the child before exec */
#include "cli/term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned env_num(const char *name, unsigned dflt)
{
    const char *s = getenv(name);
    char *end;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    return s && *s && !*end && v > 0 && v < 100000 ? (unsigned)v : dflt;
}

int cq_term_size(FILE *f, unsigned *cols, unsigned *rows)
{
    int fd = f ? fileno(f) : -1;
    if (fd < 0 || !isatty(fd))
        return 0;
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    if (ioctl(fd, TIOCGWINSZ, &ws) || !ws.ws_col || !ws.ws_row) {
        ws.ws_col = (unsigned short)env_num("COLUMNS", 80);
        ws.ws_row = (unsigned short)env_num("LINES", 24);
    }
    *cols = ws.ws_col;
    *rows = ws.ws_row;
    return 1;
}

/* Whether an executable `name` is on $PATH: the default pager is run only
 * when it is there, so a machine without less prints to the terminal
 * instead of losing the output to "less: not found". */
static int on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n && n + strlen(name) + 2 <= sizeof buf) {
            memcpy(buf, p, n);
            buf[n] = '/';
            strcpy(buf + n + 1, name);
            struct stat st;
            if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
                return 1;
        }
        if (!colon)
            return 0;
        p = colon;
    }
}

static pid_t pager_pid = -1;
static struct sigaction old_pipe, old_int;

FILE *cq_pager_open(void)
{
    const char *pager = getenv("PAGER");
    int custom = pager && *pager;
    if (!custom && !on_path("less"))
        return NULL;
    int fds[2];
    if (pipe(fds))
        return NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("LESS", "FRX", 0);
        if (custom)
            execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
        else
            execlp("less", "less", "-S", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    FILE *f = fdopen(fds[1], "w");
    if (!f) {
        close(fds[1]);
        waitpid(pid, NULL, 0);
        return NULL;
    }
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe);
    sigaction(SIGINT, &ign, &old_int);
    pager_pid = pid;
    return f;
}

int cq_pager_close(FILE *pager)
{
    int failed = fflush(pager) != 0 && errno != EPIPE;
    failed |= fclose(pager) != 0 && errno != EPIPE;
    int status;
    while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
        ;
    pager_pid = -1;
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigaction(SIGINT, &old_int, NULL);
    return failed ? -1 : 0;
}
