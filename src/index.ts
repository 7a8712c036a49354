#!/usr/bin/env bun
// Entry point of the trackd binary: hand the command line to the CLI.
import { runCli } from "./cli/index";

const code = await runCli(process.argv.slice(2), process.env);
if (code !== "serving") process.exit(code);
