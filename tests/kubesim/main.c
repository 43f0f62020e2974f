/*
 * main.c — kubesim entry point (placeholder until the server lands: it only
 * answers --help so the build has a target).
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("Usage: kubesim --listen ADDR:PORT [--port-file F] [--kubeconfig-out K] [--tls] [--token T]\n");
		return 0;
	}
	fprintf(stderr, "kubesim: not built yet\n");
	return 1;
}
