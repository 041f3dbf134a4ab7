/*
 * standalone.c - a main() for the harnesses without libFuzzer: runs each file
 * named on the command line through LLVMFuzzerTestOneInput once, as a
 * libFuzzer binary does with file arguments.  It lets `make valgrind` replay
 * the regression inputs and seeds under valgrind (which cannot run ASan or
 * libFuzzer binaries), with any C compiler.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long n;
		if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 2;
		}
		/* an exact-size copy, as libFuzzer makes, so overreads are caught */
		if (!(buf = malloc(n ? (size_t)n : 1)) ||
		    fread(buf, 1, (size_t)n, f) != (size_t)n) {
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	return 0;
}
