import { test, expect, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { ADMIN_PW, login } from "./pages";

// One story against the real server and the real gluster lab (scripts/gluster-lab.sh up):
// the lab's session mastervol -> HOST::slavevol, and a second slave volume made for the test.
test.describe.configure({ mode: "serial" });

const host = process.env.LAB_HOST ?? "localhost";
const lab = path.resolve(__dirname, "../../scripts/gluster-lab.sh");
const SECOND = "slavevol3";
const shots = "test-results";

/** The raw gluster CLI (out of band for georep), retried while glusterd is busy. */
function gluster(...args: string[]): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync("gluster", ["--mode=script", ...args], { encoding: "utf8" });
    } catch (e: any) {
      const text = `${e.stdout ?? ""}${e.stderr ?? ""}`;
      if (attempt >= 20 || !/another transaction|command failed/i.test(text)) throw e;
      execFileSync("sleep", ["0.5"]);
    }
  }
}

function labSession(...words: string[]): string {
  return gluster("volume", "geo-replication", "mastervol", `${host}::slavevol`, ...words);
}

/** The lab session's row in the sessions list. */
function labRow(page: Page) {
  return page.getByTestId("session").filter({ has: page.locator('a[data-testid="session-link"]', { hasText: /^slavevol$/ }) });
}

async function ensureCluster(page: Page) {
  await page.goto("/");
  if (await page.getByTestId("empty-clusters").isVisible()) {
    await page.getByTestId("toggle-register").click();
    const form = page.getByTestId("register-form");
    await form.getByLabel("Name").fill("lab");
    await form.getByLabel("Host of the trusted pool").fill(host);
    await form.getByRole("button", { name: "Register" }).click();
    await expect(page.getByTestId("clusters").getByRole("row").filter({ hasText: "lab" })).toBeVisible({ timeout: 60_000 });
  }
}

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

