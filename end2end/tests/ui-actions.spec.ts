import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { ADMIN_PW, VIEWER_PW, login } from "./pages";
import { ensureCluster, gluster, host, lab, labRow, labSession, SECOND, shots } from "./lab";

// One story against the real server and the real gluster lab (helpers in lab.ts).
test.describe.configure({ mode: "serial" });

test("sync_jobs edited in place reaches gluster; reset goes back to the default", async ({ page }) => {
  // from gluster's default (an earlier run may have left another value), changed out of band:
  // the open page shows it once the sync has stored it
  labSession("config", "!sync_jobs");
  await login(page, "admin", ADMIN_PW, "/sessions");
  await labRow(page).getByTestId("session-link").click();
  const row = page.getByTestId("option").filter({ has: page.locator("code", { hasText: /^sync_jobs$/ }) });
  const input = row.getByTestId("option-input");
  await expect(input).toHaveAttribute("type", "number");
  await expect(input).toHaveValue("3", { timeout: 15_000 });
  await input.fill("4");
  await input.press("Enter");
  await input.blur();
  await expect.poll(() => labSession("config", "sync_jobs").trim(), { timeout: 30_000 }).toBe("4");
  // the page shows what gluster says (re-read after the change)
  await expect(row.getByTestId("option-input")).toHaveValue("4", { timeout: 10_000 });
  await expect(row.getByTestId("option-saved")).toBeVisible();

  // out of range: refused inline, gluster unchanged
  await input.fill("-3");
  await input.press("Enter");
  await input.blur();
  await expect(row.getByRole("alert")).toContainText("an integer from", { timeout: 10_000 });
  expect(labSession("config", "sync_jobs").trim()).toBe("4");
  // the error stays while live updates come in
  await page.waitForTimeout(3_000);
  await expect(row.getByRole("alert")).toBeVisible();
  // read-only keys are not editable
  const checkpoint = page.getByTestId("option").filter({ has: page.locator("code", { hasText: /^checkpoint$/ }) });
  await expect(checkpoint.getByTestId("option-input")).toHaveCount(0);

  await page.reload();
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  const again = page.getByTestId("option").filter({ has: page.locator("code", { hasText: /^sync_jobs$/ }) });
  await again.getByTestId("option-reset").click();
  await expect.poll(() => labSession("config", "sync_jobs").trim(), { timeout: 30_000 }).toBe("3");
  await expect(again.getByTestId("option-input")).toHaveValue("3", { timeout: 10_000 });
  await expect(again.getByTestId("option-reset")).toHaveCount(0);
  await page.screenshot({ path: `${shots}/options.png`, fullPage: true });
});


test("pause from the UI, and from the CLI seen without a reload", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/sessions");
  const row = labRow(page);
  await expect(row.getByTestId("status")).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 30_000 });

  await row.locator('button[data-action="pause"]').click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog).toContainText("Pause session");
  await expect(dialog.getByLabel(/Force/)).toBeVisible();
  await dialog.getByTestId("confirm").click();
  await expect(dialog).toHaveCount(0, { timeout: 60_000 });
  await expect(row.getByTestId("status")).toHaveText("PAUSED", { timeout: 15_000 });
  // the state machine: Resume enabled, Pause not
  await expect(row.locator('button[data-action="resume"]')).toBeEnabled();
  await expect(row.locator('button[data-action="pause"]')).toBeDisabled();

  await row.locator('button[data-action="resume"]').click();
  await page.getByTestId("dialog").getByTestId("confirm").click();
  await expect(page.getByTestId("dialog")).toHaveCount(0, { timeout: 60_000 });
  await expect(row.getByTestId("status")).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 30_000 });
  await expect(row.getByTestId("status")).toHaveText("ACTIVE", { timeout: 60_000 });

  // out of band: the raw CLI pauses; the open page shows it by itself within 5 s
  await page.evaluate(() => ((window as any).__noReload = true));
  labSession("pause");
  await expect(row.getByTestId("status")).toHaveText("PAUSED", { timeout: 5_000 });
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  labSession("resume");
  await expect(row.getByTestId("status")).toHaveText(/ACTIVE|INITIALIZING/, { timeout: 5_000 });
  await page.goto("/events");
  await expect(page.getByTestId("event").first()).toBeVisible();
  await page.screenshot({ path: `${shots}/audit-log.png`, fullPage: true });
});

test("checkpoint and refresh from the session page; the dialog outlives live updates", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/sessions");
  await labRow(page).getByTestId("session-link").click();
  await expect(page.getByTestId("brick-row")).toHaveCount(2);
  const before = labSession("config", "checkpoint").trim();

  await page.locator('button[data-action="checkpoint"]').click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog).toContainText("Set a checkpoint on");
  // a change made with the CLI while the dialog is open reaches the page (a live update of
  // the view the dialog used to live in); the dialog is the same element afterwards
  await dialog.evaluate((el) => ((el as any).__mark = true));
  labSession("config", "sync_jobs", "5");
  const syncJobs = page.getByTestId("option").filter({ has: page.locator("code", { hasText: /^sync_jobs$/ }) });
  await expect(syncJobs.getByTestId("option-input")).toHaveValue("5", { timeout: 30_000 });
  labSession("config", "!sync_jobs");
  expect(await dialog.evaluate((el) => (el as any).__mark === true)).toBe(true);
  await dialog.getByTestId("confirm").click();
  await expect(dialog).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByRole("status")).toBeVisible();
  await expect.poll(() => labSession("config", "checkpoint").trim(), { timeout: 30_000 }).not.toBe(before);
  await expect(page.getByTestId("checkpoint").first()).toHaveText(/pending|completed/, { timeout: 30_000 });

  await page.locator('button[data-action="refresh"]').click();
  await expect(page.getByRole("status")).toHaveText("re-read from gluster", { timeout: 60_000 });
});

test("create a session through the dialog (eligibility first, then force), then delete it", async ({ page }) => {
  execFileSync("bash", [lab, "volume", SECOND, "--fresh"]);
  await login(page, "admin", ADMIN_PW, "/volumes");
  // the sync sees the new volume
  await expect(page.getByRole("link", { name: SECOND, exact: true })).toBeVisible({ timeout: 30_000 });
  await page.getByRole("link", { name: "mastervol", exact: true }).click();
  await expect(page.getByTestId("session").first()).toBeVisible();
  await page.screenshot({ path: `${shots}/volume-sessions.png`, fullPage: true });
  await page.getByTestId("new-session").click();
  const form = page.getByTestId("new-session-form");
  // the slave picked among the volumes of registered clusters fills host and volume
  const known = form.getByLabel("Slave volume of a registered cluster");
  const label = (await known.locator("option").filter({ hasText: new RegExp(` / ${SECOND}$`) }).first().textContent())!;
  await known.selectOption({ label });
  await expect(form.getByRole("textbox", { name: "Slave volume" })).toHaveValue(SECOND);
  await expect(form.getByRole("textbox", { name: "Slave host" })).not.toHaveValue("");
  // in the one-machine lab the slave is in the master's cluster: a reason, shown before submitting
  await expect(form.getByTestId("reasons")).toContainText("in the master's cluster", { timeout: 15_000 });
  await page.screenshot({ path: `${shots}/new-session.png`, fullPage: true });

  await form.getByTestId("create").click();
  await expect(form.getByRole("alert")).toContainText("not eligible", { timeout: 30_000 });
  await form.getByLabel(/^Force/).check();
  await form.getByTestId("create").click();
  await expect(page.getByTestId("dialog")).toHaveCount(0, { timeout: 90_000 });
  const row = page.getByTestId("session").filter({ has: page.locator('a[data-testid="session-link"]', { hasText: new RegExp(`^${SECOND}$`) }) });
  await expect(row.getByTestId("status")).toHaveText("CREATED", { timeout: 30_000 });
  expect(gluster("volume", "geo-replication", "mastervol", `${host}::${SECOND}`, "status")).toContain("Created");

  await row.locator('button[data-action="delete"]').click();
  await page.getByTestId("dialog").getByTestId("confirm").click();
  await expect(page.getByTestId("dialog")).toHaveCount(0, { timeout: 60_000 });
  await expect(row).toHaveCount(0, { timeout: 15_000 });
});

test("a viewer sees everything and no action button", async ({ page }) => {
  await login(page, "viewer", VIEWER_PW, "/sessions");
  await expect(labRow(page).getByTestId("status")).toBeVisible();
  await expect(page.getByTestId("actions")).toHaveCount(0);
  await labRow(page).getByTestId("session-link").click();
  await expect(page.getByTestId("brick-row")).toHaveCount(2);
  await expect(page.getByTestId("actions")).toHaveCount(0);
  await expect(page.getByTestId("option-input")).toHaveCount(0);
  await expect(page.getByTestId("option-reset")).toHaveCount(0);
  await page.goto("/volumes");
  await page.getByRole("link", { name: "mastervol", exact: true }).click();
  await expect(page.getByTestId("session").first()).toBeVisible();
  await expect(page.getByTestId("new-session")).toHaveCount(0);
  await page.getByTestId("logout").click();
  await expect(page).toHaveURL(/\/login/);
  await page.screenshot({ path: `${shots}/login.png`, fullPage: true });
});
