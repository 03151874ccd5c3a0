import { test, expect, type APIRequestContext, type Page } from "@playwright/test";
import { VIEWER_PW } from "./pages";
import { labRow, labSession, openLabSession, rest, shots } from "./lab";

// Failover and failback (issue 18) from the session page's Disaster recovery panel, against
// the real server and the real gluster lab (the single-machine session mastervol ->
// HOST::slavevol, both volumes in the registered cluster). The session is ACTIVE before and
// after: the failback starts it again.
test.describe.configure({ mode: "serial" });

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** An operation by REST. */
async function operation(api: APIRequestContext, id: string): Promise<any> {
  const r = await api.get(`/api/operations/${id}`);
  expect(r.status()).toBe(200);
  return r.json();
}

/** The session's status as georep's REST API reports it (lower case, e.g. "active"). */
async function restStatus(api: APIRequestContext, apiPath: string): Promise<string> {
  const r = await api.get(apiPath);
  expect(r.status()).toBe(200);
  return (await r.json()).status;
}

/** The operation id in the failover part's outcome line ("failover started (operation …"). */
async function startedOperation(page: Page, what: string): Promise<string> {
  const outcome = page.getByTestId("failover-outcome");
  await expect(outcome).toContainText(`${what} started`, { timeout: 120_000 });
  return ((await outcome.textContent()) ?? "").match(UUID)![0];
}

/** The session page's own badge (the header), not a row's. */
function headerBadge(page: Page) {
  return page.locator(".page-head").getByTestId("dr-role");
}

test.afterAll(() => {
  // best effort: whatever happened, leave the lab session replicating for the other files
  try {
    const status = labSession("status");
    if (/Paused/.test(status)) labSession("resume");
    else if (/Stopped|Created/.test(status)) labSession("start");
  } catch {}
});

test("a viewer sees the failover part and no button that fails over", async ({ page }) => {
  await openLabSession(page, "viewer", VIEWER_PW);
  await expect(page.getByTestId("failover")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Failover", exact: true })).toBeVisible();
  await expect(page.getByTestId("failover-normal")).toBeVisible();
  for (const id of ["fail-over", "fail-back", "op-confirm"]) {
    await expect(page.getByTestId(id)).toHaveCount(0);
  }
});

test("the failover wizard shows the pre-checks with real values", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await openLabSession(page);
  await expect(page.getByTestId("status").first()).toHaveText("ACTIVE", { timeout: 60_000 });
  await expect(headerBadge(page)).toHaveCount(0);
  const workers = await page.getByTestId("bricks").getByTestId("brick-row").count();
  expect(workers).toBeGreaterThan(0);

  const open = page.getByTestId("fail-over");
  await expect(open).toHaveAttribute("aria-haspopup", "dialog");
  await open.click();
  const wizard = page.getByTestId("failover-wizard");
  await expect(wizard).toBeVisible();
  const dialog = page.getByRole("dialog", { name: "Fail over to the slave volume" });
  await expect(dialog).toBeVisible();
  // the lab's master is reachable, its slave a volume of the registered cluster
  const master = wizard.getByTestId("check-master");
  await expect(master).toHaveAttribute("data-ok", "true", { timeout: 30_000 });
  await expect(master).toContainText("mastervol");
  await expect(master).toContainText("reachable");
  await expect(master).not.toContainText("unreachable");
  const slave = wizard.getByTestId("check-slave");
  await expect(slave).toHaveAttribute("data-managed", "true");
  await expect(slave).toHaveAttribute("data-ok", "true");
  await expect(slave).toContainText("slavevol");
  await expect(wizard.getByTestId("check-checkpoint")).toContainText("Last checkpoint:");
  // one row per worker, as on the page, each with its status and pending counters
  const bricks = wizard.getByTestId("check-bricks").getByTestId("point-brick");
  await expect(bricks).toHaveCount(workers);
  for (const row of await bricks.all()) {
    await expect(row).toHaveAttribute("data-status", /ACTIVE|PASSIVE/);
    await expect(row.getByRole("cell").first()).toHaveText(/.+:\/.+/);
  }
  await expect(wizard.getByTestId("check-bricks").getByRole("columnheader", { name: "Entry pending" })).toBeVisible();
  // an active session that has synced: a recovery point
  const point = wizard.getByTestId("check-recovery-point");
  await expect(point).toContainText("What a failover now keeps");
  await expect(point).toHaveAttribute("data-set", "true");
  await expect(point).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  // nothing blocks it; planned is possible and the default; I/O stopped is for the admin to say
  await expect(wizard.getByTestId("blockers")).toHaveCount(0);
  await expect(wizard.getByTestId("planned")).toBeEnabled();
  await expect(wizard.getByTestId("planned")).toBeChecked();
  await expect(wizard.getByTestId("unplanned")).not.toBeChecked();
  await expect(wizard.getByTestId("io-stopped")).not.toBeChecked();
  await expect(wizard.getByTestId("confirm-failover")).toBeEnabled();
  // unplanned hides the I/O box; back to planned shows it again
  await wizard.getByTestId("unplanned").check();
  await expect(wizard.getByTestId("io-stopped")).toHaveCount(0);
  await expect(point).toContainText("may be lost");
  await wizard.getByTestId("planned").check();
  await expect(wizard.getByTestId("io-stopped")).toBeVisible();
  await page.screenshot({ path: `${shots}/failover-wizard.png`, fullPage: true });
  // Escape closes it, nothing started
  await wizard.getByTestId("planned").focus();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("dialog")).toHaveCount(0);
  await expect(page.getByTestId("failover-outcome")).toHaveCount(0);
  await expect(headerBadge(page)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("a planned failover, then a failback confirmed from its operation row", async ({ page }) => {
  // a failover takes a checkpoint; a failback a reverse session's crawl and checkpoint
  test.setTimeout(15 * 60_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const apiPath = await openLabSession(page);
  const session = apiPath.split("/").pop()!;
  const api = await rest();
  await expect(page.getByTestId("status").first()).toHaveText("ACTIVE", { timeout: 60_000 });

  // ---- failover: planned, I/O stopped (no confirmation step)
  await page.getByTestId("fail-over").click();
  const wizard = page.getByTestId("failover-wizard");
  await expect(wizard.getByTestId("check-master")).toHaveAttribute("data-ok", "true", { timeout: 30_000 });
  await expect(wizard.getByTestId("planned")).toBeChecked();
  await wizard.getByTestId("io-stopped").check();
  await wizard.getByTestId("confirm-failover").click();
  await expect(page.getByTestId("dialog")).toHaveCount(0, { timeout: 120_000 });
  const failover = await startedOperation(page, "failover");
  const foRow = page.locator(`#op-${failover}`);
  await expect(foRow).toHaveAttribute("data-kind", "failover", { timeout: 30_000 });
  await expect(foRow.getByTestId("op-kind")).toHaveText("failover");
  await expect(foRow).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  const foDoc = await operation(api, failover);
  expect(foDoc.kind).toBe("failover");
  expect(foDoc.state).toBe("succeeded");
  expect(foDoc.session_id).toBe(session);

  // the banner and the badge
  const banner = page.getByTestId("failover-banner");
  await expect(banner).toBeVisible({ timeout: 60_000 });
  await expect(banner).toContainText("Failed over at");
  await expect(banner.getByTestId("failover-kind")).toHaveText("planned");
  await expect(banner.getByTestId("failed-over-at")).toHaveText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await expect(banner.getByTestId("failover-point")).toHaveText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  await expect(banner.getByTestId("master-stopped")).toHaveAttribute("data-stopped", "true");
  await expect(banner.getByTestId("failover-bricks").getByTestId("point-brick").first()).toBeVisible();
  await expect(headerBadge(page)).toHaveText("failed over", { timeout: 60_000 });
  await expect(headerBadge(page)).toHaveAttribute("data-role", "failed_over");
  await expect(page.getByTestId("fail-over")).toHaveCount(0);
  // gluster's truth: a planned failover stopped the original session on the master
  await expect.poll(() => labSession("status"), { timeout: 60_000 }).toMatch(/Stopped/);
  await expect.poll(() => restStatus(api, apiPath), { timeout: 60_000 }).toBe("stopped");
  await page.screenshot({ path: `${shots}/failed-over.png`, fullPage: true });

  // the badge wherever the session's status shows: the sessions list, the volume's sessions
  await page.goto("/sessions");
  await expect(labRow(page).getByTestId("dr-role")).toHaveText("failed over", { timeout: 30_000 });
  await labRow(page).getByRole("link", { name: "mastervol" }).click();
  await expect(page).toHaveURL(/\/volumes\/[0-9a-f-]{36}$/);
  await expect(labRow(page).getByTestId("dr-role")).toHaveText("failed over", { timeout: 30_000 });
  await labRow(page).getByTestId("session-link").click();
  await expect(page).toHaveURL(/\/sessions\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");

  // ---- failback, I/O on the slave NOT said to be stopped: the operation asks for it
  await page.getByTestId("fail-back").click();
  const fb = page.getByTestId("failback-dialog");
  await expect(fb).toBeVisible();
  const plan = fb.getByTestId("failback-steps");
  await expect(plan).toContainText("special-sync-mode recover", { timeout: 30_000 });
  await expect(plan).toContainText("stop and delete the reverse session");
  await expect(plan).toContainText("start the original session");
  await expect(fb.getByTestId("blockers")).toHaveCount(0);
  await expect(fb.getByTestId("io-stopped")).not.toBeChecked();
  await fb.getByTestId("confirm-failback").click();
  await expect(page.getByTestId("dialog")).toHaveCount(0, { timeout: 120_000 });
  const failback = await startedOperation(page, "failback");
  const fbRow = page.locator(`#op-${failback}`);
  await expect(fbRow).toHaveAttribute("data-kind", "failback", { timeout: 30_000 });
  await expect(fbRow.getByTestId("op-kind")).toHaveText("failback");
  await expect(headerBadge(page)).toHaveText("failing back", { timeout: 60_000 });
  const fbBanner = page.getByTestId("failback-banner");
  await expect(fbBanner).toContainText("Failing back");
  await expect(fbBanner.getByTestId("failback-operation")).toHaveAttribute("href", `#op-${failback}`);

  // the reverse session crawls, then the operation waits for the admin
  const prompt = fbRow.getByTestId("op-confirm-prompt");
  await expect(prompt).toBeVisible({ timeout: 300_000 });
  await expect(prompt).toContainText("Waiting for you");
  await expect(prompt.getByTestId("op-confirm-text")).toContainText(/I\/O/);
  await expect(fbRow).toHaveAttribute("data-state", /running|waiting/);
  expect((await operation(api, failback)).state).toMatch(/running|waiting/);
  const confirm = fbRow.getByTestId("op-confirm");
  await expect(confirm).toBeEnabled();
  await page.screenshot({ path: `${shots}/failback-confirm.png`, fullPage: true });
  await confirm.click();
  await expect(fbRow.getByTestId("op-confirm-prompt")).toHaveCount(0, { timeout: 60_000 });
  await expect(fbRow).toHaveAttribute("data-state", "succeeded", { timeout: 300_000 });
  const fbDoc = await operation(api, failback);
  expect(fbDoc.kind).toBe("failback");
  expect(fbDoc.state).toBe("succeeded");

  // back to the normal role: no badge, no banner, Fail over… again
  await expect(headerBadge(page)).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId("failover-banner")).toHaveCount(0);
  await expect(page.getByTestId("failback-banner")).toHaveCount(0);
  await expect(page.getByTestId("failover-normal")).toBeVisible();
  await expect(page.getByTestId("fail-over")).toBeVisible();
  // gluster's truth: the original session replicates again
  await expect.poll(() => labSession("status"), { timeout: 120_000 }).toMatch(/Active/);
  await expect.poll(() => restStatus(api, apiPath), { timeout: 120_000 }).toBe("active");
  await expect(page.getByTestId("status").first()).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 60_000 });
  await page.goto("/sessions");
  await expect(labRow(page).getByTestId("session-link")).toBeVisible();
  await expect(labRow(page).getByTestId("dr-role")).toHaveCount(0);
  await page.screenshot({ path: `${shots}/failed-back.png`, fullPage: true });
  await api.dispose();
  expect(errors).toEqual([]);
});
