// page-load.mjs — run by scripts/bench-page.sh (its header says what is measured). Debian's
// chromium through playwright-core; the link throttled by CDP (Network.emulateNetworkConditions).
// Time to interactive: from the navigation's start until the page's wasm has hydrated it
// (the header's marker turns "true") and every /pkg file it asked for (the main wasm, and in a
// split site the pieces of the page's own code) has arrived.
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
const runs = Number(process.env.RUNS ?? 5);
const kbit = Number(process.env.DOWN_KBIT ?? 10_000);
const latency = Number(process.env.LATENCY ?? 40);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** A fresh browser context (no cache, no cookies) on the throttled link. */
async function throttledPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency,
    downloadThroughput: (kbit * 1000) / 8, uploadThroughput: (kbit * 1000) / 8,
  });
  const pending = new Map(); // requestId -> url, of /pkg files
  const done = { bytes: 0, pkgBytes: 0, requests: 0, lastPkg: 0 };
  cdp.on("Network.requestWillBeSent", (e) => {
    if (new URL(e.request.url).pathname.startsWith("/pkg/")) pending.set(e.requestId, e.request.url);
  });
  const finished = (e, ok) => {
    done.requests += 1;
    if (ok) done.bytes += e.encodedDataLength;
    if (pending.delete(e.requestId)) {
      if (ok) done.pkgBytes += e.encodedDataLength;
      done.lastPkg = Date.now();
    }
  };
  cdp.on("Network.loadingFinished", (e) => finished(e, true));
  cdp.on("Network.loadingFailed", (e) => finished(e, false));
  return { context, page, cdp, pending, done };
}

/** Loads PATH in P; the figures of this load. */
async function measure(p, path) {
  Object.assign(p.done, { bytes: 0, pkgBytes: 0, requests: 0, lastPkg: 0 });
  p.pending.clear();
  const t0 = Date.now();
  await p.page.goto(base + path, { waitUntil: "commit" });
  await p.page.waitForSelector('[data-testid="hydrated"][data-hydrated="true"]', { timeout: 120_000 });
  const hydrated = Date.now();
  // a /pkg request that never ends is an error of the page, not a slow link
  for (let waited = 0; p.pending.size; waited += 5) {
    if (waited > 60_000) throw new Error(`${path}: no answer for ${[...p.pending.values()]}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await p.page.waitForLoadState("load");
  return {
    tti: Math.max(hydrated, p.done.lastPkg) - t0,
    hydrated: hydrated - t0,
    bytes: p.done.bytes,
    pkgBytes: p.done.pkgBytes,
    requests: p.done.requests,
  };
}

async function logIn(p) {
  await p.page.goto(base + "/login");
  await p.page.waitForSelector('[data-testid="hydrated"][data-hydrated="true"]');
  const form = p.page.getByTestId("login-form");
  await form.getByLabel("User").fill(process.env.BENCH_USER);
  await form.getByLabel("Password").fill(process.env.BENCH_PASSWORD);
  await form.getByRole("button", { name: "Log in" }).click();
  await p.page.getByTestId("user").waitFor();
  await p.page.waitForLoadState("networkidle");
}

const results = { login: [], session: [], "session warm": [] };
for (let i = 0; i < runs; i++) {
  console.error(`load ${i + 1} of ${runs}`);
  let p = await throttledPage();
  results.login.push(await measure(p, "/login"));
  await p.context.close();
  // logged in, then the browser's cache emptied (the cookie kept)
  p = await throttledPage();
  await logIn(p);
  await p.cdp.send("Network.clearBrowserCache");
  results.session.push(await measure(p, process.env.SESSION_PATH));
  results["session warm"].push(await measure(p, process.env.SESSION_PATH));
  await p.context.close();
}
await browser.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`link: ${kbit} kbit/s, ${latency} ms; ${runs} loads each, medians`);
console.log("page\tbytes\tpkg_bytes\trequests\thydrated_ms\ttti_ms");
for (const [name, rs] of Object.entries(results)) {
  const m = (k) => median(rs.map((r) => r[k]));
  console.log([name, m("bytes"), m("pkgBytes"), m("requests"), m("hydrated"), m("tti")].join("\t"));
}
