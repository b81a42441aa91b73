#!/usr/bin/env node
// The installed `mcp-proxy` command: a file that exists before the build (so that
// installing the workspace links it without a warning), running the built CLI.
import "../dist/bin.js";
