// Reference README (earlier 6.x): CorsOptions with an origin function.
import { type CorsOptions, startHTTPServer } from "@mcp-proxy/http-server";
import { createServer, report } from "./prelude.js";

// --- reference README, verbatim ---
const cors: CorsOptions = {
  origin: (origin) => origin.endsWith(".example.com"),
  methods: ["GET", "POST", "OPTIONS"],
  allowedHeaders: "*",
  exposedHeaders: ["Mcp-Session-Id"],
  credentials: true,
  maxAge: 86400,
};

await startHTTPServer({ cors, createServer, port: 3000 });
// --- end ---

report({ ready: "http://127.0.0.1:3000" });
