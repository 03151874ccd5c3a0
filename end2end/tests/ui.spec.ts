import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { ADMIN_PW, login } from "./pages";
import { ensureCluster, gluster, host, lab, labRow, labSession, SECOND, shots } from "./lab";

// One story against the real server and the real gluster lab (helpers in lab.ts).
test.describe.configure({ mode: "serial" });

test.afterAll(() => {
  // the second volume goes whatever happened; the lab session is left running
  try { execFileSync("bash", [lab, "volume-delete", SECOND]); } catch {}
  try { execFileSync("gluster", ["--mode=script", "volume", "geo-replication", "mastervol", `${host}::slavevol`, "resume"], { stdio: "ignore" }); } catch {}
});

test("volumes, the lab session with its bricks, progress bars and chart", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await login(page, "admin", ADMIN_PW, "/volumes");
  await ensureCluster(page);

  await page.goto("/volumes");
  const master = page.getByTestId("volume").filter({ has: page.getByRole("link", { name: "mastervol", exact: true }) });
  await expect(master.getByTestId("marker-master")).toBeVisible({ timeout: 30_000 });
  await expect(master).toContainText("Started");
  await expect(master.locator("li.brick")).toHaveCount(2);
  const slave = page.getByTestId("volume").filter({ has: page.getByRole("link", { name: "slavevol", exact: true }) });
  await expect(slave.getByTestId("marker-slave")).toBeVisible();
  await page.screenshot({ path: `${shots}/volumes.png`, fullPage: true });

  await page.goto("/sessions");
  const row = labRow(page);
  await expect(row.getByTestId("status")).toHaveText("ACTIVE", { timeout: 30_000 });
  await page.screenshot({ path: `${shots}/sessions.png`, fullPage: true });

  await row.getByTestId("session-link").click();
  await expect(page).toHaveURL(/\/sessions\/[0-9a-f-]{36}$/);
  const bricks = page.getByTestId("brick-row");
  await expect(bricks).toHaveCount(2);
  // four bars per brick (entry, data, meta, failures), with numbers where gluster reports them
  await expect(bricks.first().getByTestId("bar")).toHaveCount(4);
  await expect(bricks.first().locator('[data-kind="entry"] .bar-value')).toHaveText(/^\d+$/);
  await expect(page.getByTestId("options")).toBeVisible();
  await expect(page.getByTestId("lag-chart").or(page.getByTestId("lag-chart-empty"))).toBeVisible();
  await page.screenshot({ path: `${shots}/session-detail.png`, fullPage: true });
  expect(errors).toEqual([]);
});

