// Reference README, "CORS Configuration": the CorsOptions example.
import { type CorsOptions, startHTTPServer } from "@mcp-proxy/http-server";
import { createServer, report } from "./prelude.js";

// --- reference README, verbatim ---
const cors: CorsOptions = {
  // A list, or a function for dynamic validation
  origin: ["https://app.example.com"],
  methods: ["GET", "POST", "OPTIONS"],

  // "*" allows any header — the usual fix for browser preflight failures.
  // Listing headers instead REPLACES the defaults, so restate the protocol's
  // own: dropping Mcp-Method/Mcp-Name breaks browser clients on 2026-07-28.
  allowedHeaders: "*",

  exposedHeaders: ["Mcp-Session-Id"],
  credentials: true,
  maxAge: 86400,
};

await startHTTPServer({ cors, createServer, port: 3000 });
// --- end ---

report({ ready: "http://127.0.0.1:3000" });
