/*
 * `meshc help` lives in cli/main.c, which has main() and is not linked
 * into the fuzz targets; the command table names it, and no fuzzed
 * command calls it. Linked into every target through the fuzz library.
 */
int cmd_help(int argc, char **argv);

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
