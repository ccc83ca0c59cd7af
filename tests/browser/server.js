// Starts the real Hearth binary for the browser tests: a free loopback port, a
// throwaway SQLite file, and nothing else. It can be stopped with SIGTERM (as a
// deployment would) and started again on the same port and database.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "../..");
const BIN = process.env.HEARTH_BIN || path.join(ROOT, "target/debug/hearth");

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Hearth {
  constructor(dbFile, port) {
    this.dbFile = dbFile;
    this.port = port;
    this.child = null;
    this.log = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A new server on a free port with an empty database. */
  static async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-browser-"));
    const server = new Hearth(path.join(dir, "hearth.db"), await freePort());
    await server.start();
    return server;
  }

  /** Starts the binary (again) and waits until /healthz answers. */
  async start(port = this.port) {
    if (!fs.existsSync(BIN)) throw new Error(`no Hearth binary at ${BIN}: run cargo build first`);
    const child = spawn(BIN, [], {
      env: {
        ...process.env,
        HEARTH_ADDR: `127.0.0.1:${port}`,
        DATABASE_URL: `sqlite:${this.dbFile}`,
        // The tests seed 120 messages at once; the default would be 20/s, bursts of 50.
        HEARTH_MESSAGE_RATE: "1000",
        HEARTH_MESSAGE_BURST: "1000",
        // Every person in these tests registers from the same loopback address.
        HEARTH_AUTH_ATTEMPTS: "1000",
        HEARTH_ROOMS_PER_HOUR: "1000",
        RUST_LOG: process.env.RUST_LOG || "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk) => { this.log = (this.log + chunk).slice(-20000); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", resolve));
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Hearth exited early:\n${this.log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`Hearth did not come up on port ${port}:\n${this.log}`);
  }

  /** SIGTERM, as systemd sends it, and wait for the process to exit. */
  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    let timer;
    const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve(true), 10000); });
    const killed = await Promise.race([this.exited.then(() => false), deadline]);
    // Once it has exited, the deadline must not hold the test process open.
    clearTimeout(timer);
    if (killed) {
      this.child.kill("SIGKILL");
      await this.exited;
      throw new Error("Hearth did not stop within 10 s of SIGTERM");
    }
  }

  /** Stops the server for good and removes its database and files. */
  async close() {
    try {
      await this.stop();
    } finally {
      fs.rmSync(path.dirname(this.dbFile), { recursive: true, force: true });
    }
  }
}

module.exports = { Hearth, freePort, sleep };
