import { test, expect, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN_PW, VIEWER_PW, login } from "./pages";
import { labSession, openLabSession, rest, shots } from "./lab";

// Operations, the DR panel and /operations (issue 17) against the real server and the real
// gluster lab. The lab session is shared with the other files: it is ACTIVE before and after.
test.describe.configure({ mode: "serial" });

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The newest operation of KIND on the lab session, by REST. */
async function newest(api: APIRequestContext, session: string, kind: string): Promise<any> {
  const r = await api.get(`/api/operations?session=${session}&kind=${kind}&limit=1`);
  expect(r.status()).toBe(200);
  return (await r.json()).operation?.[0];
}

async function confirmAction(page: Page, action: string) {
  await page.locator(`button[data-action="${action}"]`).click();
  const dialog = page.getByTestId("dialog");
  await dialog.getByTestId("confirm").click();
  await expect(dialog).toHaveCount(0, { timeout: 60_000 });
}

/** Leaves the lab session replicating, whatever a test did to it. */
function labActive() {
  const status = labSession("status");
  if (/Paused/.test(status)) labSession("resume");
  else if (/Stopped|Created/.test(status)) labSession("start");
}

test.afterAll(async () => {
  try { labActive(); } catch {}
});

test("the session page: Operations and Disaster recovery panels; pause and resume are operations", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const apiPath = await openLabSession(page);
  const session = apiPath.split("/").pop()!;
  await expect(page.getByRole("heading", { name: "Operations", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Disaster recovery" })).toBeVisible();
  await expect(page.getByTestId("recovery-point")).toHaveText(/Slave consistent up to \d{4}-\d\d-\d\d|No DR sync has completed yet/);
  await expect(page.getByTestId("self-heal")).toContainText("server default");
  await expect(page.getByTestId("probe-now")).toBeVisible();
  await expect(page.getByTestId("restart-stalled")).toBeVisible();
  await expect(page.getByTestId("sync-now")).toBeVisible();
  const status = page.getByTestId("status").first();
  await expect(status).toHaveText("ACTIVE", { timeout: 60_000 });

  await confirmAction(page, "pause");
  await expect(status).toHaveText("PAUSED", { timeout: 15_000 });
  const api = await rest();
  const pause = await newest(api, session, "pause");
  expect(pause.state).toBe("succeeded");
  // the panel shows the same operation: done, with the gluster command it ran
  const row = page.locator(`#op-${pause.id}`);
  await expect(row).toHaveAttribute("data-state", "succeeded", { timeout: 15_000 });
  await expect(row.getByTestId("op-kind")).toHaveText("pause");
  await expect(row.getByTestId("op-state")).toHaveText("succeeded");
  await expect(row.getByTestId("op-progress")).toContainText(/step \d+ of \d+/);
  await expect(row.getByTestId("op-command")).toContainText(/geo-replication .*pause/);
  // a finished one shows its steps on request
  await row.getByTestId("op-toggle").click();
  const steps = page.locator(`#op-${pause.id} + tr[data-testid="op-steps"]`);
  await expect(steps.getByTestId("op-step").first()).toHaveAttribute("data-state", "succeeded");

  await confirmAction(page, "resume");
  await expect(status).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 30_000 });
  const resume = await newest(api, session, "resume");
  expect(resume.state).toBe("succeeded");
  const resumed = page.locator(`#op-${resume.id}`);
  await expect(resumed).toHaveAttribute("data-state", "succeeded", { timeout: 15_000 });
  await expect(resumed.getByTestId("op-command")).toContainText(/geo-replication .*resume/);
  // newest first
  const ids = await page.getByTestId("operation").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
  expect(ids.indexOf(resume.id)).toBeLessThan(ids.indexOf(pause.id));
  await expect(status).toHaveText("ACTIVE", { timeout: 60_000 });
  await page.screenshot({ path: `${shots}/session-operations.png`, fullPage: true });
  await api.dispose();
  expect(errors).toEqual([]);
});

test("a schedule set with the form shows, REST agrees, and it is removed; self-healing", async ({ page }) => {
  const apiPath = await openLabSession(page);
  const api = await rest();
  // from no schedule (an earlier run may have left one)
  await api.delete(`${apiPath}/schedule`);
  await expect(page.getByTestId("no-schedule")).toBeVisible({ timeout: 15_000 });
  const form = page.getByTestId("schedule-form");

  // every 45 minutes, disabled (no run starts during the test)
  await form.getByLabel("Runs").selectOption("interval");
  await form.getByLabel("Interval (minutes)").fill("45");
  await form.getByLabel("Time zone").fill("Europe/Berlin");
  await form.getByLabel("Timeout (seconds)").fill("900");
  await form.getByLabel("RPO (seconds)").fill("7200");
  await form.getByLabel("Enabled").uncheck();
  await form.getByTestId("schedule-save").click();
  await expect(page.getByTestId("dr-outcome")).toHaveText("schedule saved: every 45 min");
  const table = page.getByTestId("schedule");
  await expect(table.getByTestId("schedule-every")).toHaveText("every 45 min");
  await expect(table.getByTestId("schedule-tz")).toHaveText("Europe/Berlin");
  await expect(table.getByTestId("schedule-timeout")).toHaveText("15 min 0 s");
  await expect(table.getByTestId("schedule-rpo")).toHaveText("2 h 0 min");
  await expect(table.getByTestId("schedule-state")).toHaveText("disabled");
  let r = await api.get(`${apiPath}/schedule`);
  expect(r.status()).toBe(200);
  let doc = await r.json();
  expect(doc).toMatchObject({ every_seconds: 2700, time_zone: "Europe/Berlin", enabled: false, timeout_seconds: 900, rpo_seconds: 7200 });
  expect(doc.cron).toBeUndefined();

  // a bad time zone: refused in words, the stored schedule unchanged
  await form.getByLabel("Time zone").fill("Mars/Olympus");
  await form.getByTestId("schedule-save").click();
  await expect(page.getByTestId("dr").getByRole("alert").filter({ hasText: "time zone" })).toBeVisible();
  expect((await (await api.get(`${apiPath}/schedule`)).json()).time_zone).toBe("Europe/Berlin");

  // a cron expression, enabled (its next run is days away at the earliest: 1 January, 03:00)
  await form.getByLabel("Runs").selectOption("cron");
  await form.getByLabel(/^Cron/).fill("0 3 1 1 *");
  await form.getByLabel("Time zone").fill("UTC");
  await form.getByLabel("RPO (seconds)").fill("");
  await form.getByLabel("Enabled").check();
  await form.getByTestId("schedule-save").click();
  await expect(table.getByTestId("schedule-every")).toHaveText("cron 0 3 1 1 *");
  await expect(table.getByTestId("schedule-state")).toHaveText("enabled");
  doc = await (await api.get(`${apiPath}/schedule`)).json();
  expect(doc).toMatchObject({ cron: "0 3 1 1 *", time_zone: "UTC", enabled: true, timeout_seconds: 900 });
  expect(doc.rpo_seconds).toBeUndefined();
  expect(doc.every_seconds).toBeUndefined();
  expect(doc.next_run_at).toMatch(/-01-01T03:00:00/);
  // the form outlives live updates (a pause from the CLI changes the page meanwhile)
  await form.getByLabel("Timeout (seconds)").fill("1234");
  labSession("pause");
  await expect(page.getByTestId("status").first()).toHaveText("PAUSED", { timeout: 15_000 });
  labSession("resume");
  await expect(form.getByLabel("Timeout (seconds)")).toHaveValue("1234");
  await page.screenshot({ path: `${shots}/session-dr.png`, fullPage: true });

  await page.getByTestId("schedule-remove").click();
  await expect(page.getByTestId("no-schedule")).toBeVisible();
  await expect(page.getByTestId("schedule-remove")).toBeDisabled();
  r = await api.get(`${apiPath}/schedule`);
  expect(r.status()).toBe(404);

  // self-healing: on, then the server's default again
  const heal = page.getByTestId("self-heal");
  await page.getByTestId("self-heal-on").click();
  await expect(heal).toHaveAttribute("data-on", "true");
  await expect(page.getByTestId("dr-outcome")).toHaveText("self-healing on");
  await page.getByTestId("self-heal-default").click();
  await expect(page.getByTestId("dr-outcome")).not.toHaveText("self-healing on");
  const dflt = /server default: on/.test((await heal.textContent()) ?? "");
  await expect(heal).toHaveAttribute("data-on", String(dflt));
  await api.dispose();
  await expect(page.getByTestId("status").first()).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 30_000 });
});

test("Sync now starts a DR sync; Cancel stops it", async ({ page }) => {
  await openLabSession(page);
  await expect(page.getByTestId("status").first()).toHaveText("ACTIVE", { timeout: 60_000 });
  await page.getByTestId("sync-now").click();
  const outcome = page.getByTestId("dr-outcome");
  await expect(outcome).toContainText("DR sync started", { timeout: 60_000 });
  const id = ((await outcome.textContent()) ?? "").match(UUID)![0];
  const row = page.locator(`#op-${id}`);
  await expect(row).toHaveAttribute("data-kind", "scheduled_sync", { timeout: 15_000 });
  await expect(row).toHaveAttribute("data-state", /queued|running|waiting|succeeded/);
  // the run: start (skipped, it replicates already), crawl, checkpoint, wait, stop
  const state = await row.getAttribute("data-state");
  if (state !== "succeeded") {
    await expect(page.locator(`#op-${id} + tr[data-testid="op-steps"]`).getByTestId("op-step")).toHaveCount(5);
    const cancel = row.getByTestId("op-cancel");
    // the run may complete (an idle lab's checkpoint can pass in seconds) before the click
    if (await cancel.isVisible()) {
      await cancel.click();
      await expect(row).toHaveAttribute("data-state", /cancelled|succeeded/, { timeout: 30_000 });
    }
  }
  await expect(row).toHaveAttribute("data-state", /cancelled|succeeded/, { timeout: 120_000 });
  await expect(row.getByTestId("op-cancel")).toHaveCount(0);
  await expect(page.getByTestId("dr-run").first()).toHaveAttribute("data-state", /cancelled|succeeded/);
  await page.screenshot({ path: `${shots}/session-dr-sync.png`, fullPage: true });
  // the run did not start the session, so it leaves it replicating
  await expect.poll(() => labSession("status"), { timeout: 30_000 }).toMatch(/Active/);
  await expect(page.getByTestId("status").first()).toHaveText("ACTIVE", { timeout: 60_000 });
});

test("Probe now reports the probe's result and records a probe operation", async ({ page }) => {
  const apiPath = await openLabSession(page);
  const session = apiPath.split("/").pop()!;
  await expect(page.getByTestId("status").first()).toHaveText("ACTIVE", { timeout: 60_000 });
  await page.getByTestId("probe-now").click();
  // a real checkpoint after a real change: up to the probe timeout (a minute by default)
  await expect(page.getByTestId("health-outcome")).toContainText(/probe (passed|stalled|inconclusive|failed) in [\d.]+ s/, { timeout: 120_000 });
  const api = await rest();
  // the admin's (a scheduled probe, by "health", may have begun since)
  const list = (await (await api.get(`/api/operations?session=${session}&kind=probe&limit=5`)).json()).operation;
  const probe = list.find((o: any) => o.actor === "admin");
  expect(["succeeded", "failed"]).toContain(probe.state);
  await expect(page.locator(`#op-${probe.id}`)).toHaveAttribute("data-kind", "probe", { timeout: 15_000 });
  await api.dispose();
});

test("/operations lists them, unfinished first; the audit log links an event's operation", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/operations");
  await expect(page.getByRole("navigation", { name: "main" }).getByRole("link", { name: "Operations" })).toBeVisible();
  const rows = page.getByTestId("operation");
  for (const kind of ["pause", "resume", "scheduled_sync"]) {
    await expect(rows.and(page.locator(`[data-kind="${kind}"]`)).first()).toBeVisible();
  }
  // each row with a session links to its page
  const link = rows.and(page.locator('[data-kind="pause"]')).first().getByTestId("op-session");
  await expect(link).toHaveAttribute("href", /^\/sessions\/[0-9a-f-]{36}$/);
  // unfinished before finished
  const states = await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute("data-state")));
  const active = (s: string | null) => ["queued", "running", "waiting"].includes(s ?? "");
  const firstDone = states.findIndex((s) => !active(s));
  expect(states.slice(firstDone).some(active)).toBe(false);
  await page.screenshot({ path: `${shots}/operations.png`, fullPage: true });

  await page.getByTestId("running-only").check();
  await expect(page).toHaveURL(/\/operations\?running=1$/);
  await expect(page.getByTestId("no-operations").or(page.getByTestId("operations"))).toBeVisible();
  for (const s of await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute("data-state")))) expect(active(s)).toBe(true);
  await page.getByTestId("running-only").uncheck();
  await expect(page).toHaveURL(/\/operations$/);

  // the audit log: the pause event links its operation (filtered: the log shows 50 a page)
  await page.goto("/events?action=pause");
  const event = page.getByTestId("event").and(page.locator('[data-action="pause"]')).first();
  const opLink = event.getByTestId("event-operation");
  const href = await opLink.getAttribute("href");
  expect(href).toMatch(/^\/operations#op-[0-9a-f-]{36}$/);
  await opLink.click();
  await expect(page).toHaveURL(/\/operations#op-/);
  await expect(page.locator(href!.replace("/operations", ""))).toHaveAttribute("data-kind", "pause");
});

test("a viewer sees operations and the DR state, and no button that acts", async ({ page }) => {
  await openLabSession(page, "viewer", VIEWER_PW);
  await expect(page.getByTestId("operations")).toBeVisible();
  await expect(page.getByTestId("recovery-point")).toBeVisible();
  await expect(page.getByTestId("self-heal")).toBeVisible();
  for (const id of ["sync-now", "op-cancel", "schedule-form", "schedule-remove", "probe-now", "restart-stalled", "self-heal-on"]) {
    await expect(page.getByTestId(id)).toHaveCount(0);
  }
  await page.goto("/operations");
  await expect(page.getByTestId("operation").first()).toBeVisible();
  await expect(page.getByTestId("op-cancel")).toHaveCount(0);
});
