/* util.c - error lines, number formatting and JSON printing for cli/. */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"

static void put_visible(FILE *f, const char *s)
{
	/* A file name or tensor name may hold newlines; the error stays one line. */
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

const char *vf_vis(const char *s)
{
	/* four at a time, so one printf can show several names */
	static char bufs[4][1024];
	static unsigned next;
	char *b;
	size_t o = 0;
	const char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			break;
	if (!*p)
		return s; /* nothing to escape: the name itself, at any length */
	b = bufs[next++ % 4];
	for (p = s; *p && o + 8 < sizeof(bufs[0]); p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\')
			o += (size_t)snprintf(b + o, sizeof(bufs[0]) - o, "\\\\");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(b + o, sizeof(bufs[0]) - o, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	if (*p)
		memcpy(b + o, "...", 4);
	else
		b[o] = '\0';
	return b;
}

int vf_report(const struct vf_err *err)
{
	fputs("vramfit: ", stderr);
	if (err->path[0]) {
		put_visible(stderr, err->path);
		fputs(": ", stderr);
	}
	put_visible(stderr, err->msg[0] ? err->msg : "unknown error");
	fputc('\n', stderr);
	return err->status == VF_EUSAGE ? VF_EXIT_USAGE : VF_EXIT_ERROR;
}

int vf_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("vramfit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'vramfit %s--help')\n", cmd ? cmd : "");
	return VF_EXIT_USAGE;
}

const char *vf_fmt_count(uint64_t v, char buf[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *vf_fmt_bytes(uint64_t v, char buf[32])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, 32, "%llu B", (unsigned long long)v);
		return buf;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.2f %s", d, units[u]);
	return buf;
}

cJSON *vf_json_num(uint64_t v)
{
	return cJSON_CreateNumber((double)v);
}

int vf_print_json(cJSON *doc)
{
	char *s = doc ? cJSON_Print(doc) : NULL;

	cJSON_Delete(doc);
	if (!s) {
		fputs("vramfit: out of memory\n", stderr);
		return VF_EXIT_ERROR;
	}
	fputs(s, stdout);
	fputc('\n', stdout);
	cJSON_free(s);
	return VF_EXIT_OK;
}

int vf_finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("vramfit: stdout: write error\n", stderr);
		return VF_EXIT_ERROR;
	}
	return status;
}
