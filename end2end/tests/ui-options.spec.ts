import { test, expect, type Page } from "@playwright/test";
import { labSession, openLabSession, rest } from "./lab";

// The session page's options (issue 21 item 3): in groups (commonly tuned, advanced, command
// options, read-only), what is not gluster's default first, a filter over keys and gluster's
// help texts, all usable from the keyboard. In CI against the lab; E2E_NO_LAB=1 runs it against
// a georep whose session `mastervol -> …::slavevol` has sync_jobs 5 stored (seeded), without
// changing gluster.
test.describe.configure({ mode: "serial" });
const noLab = !!process.env.E2E_NO_LAB;

test.afterAll(() => {
  if (noLab) return;
  try { labSession("config", "!sync_jobs"); } catch {}
});

function option(page: Page, key: string) {
  return page.getByTestId("option").filter({ has: page.locator("code", { hasText: new RegExp(`^${key}$`) }) });
}

function group(page: Page, name: string) {
  return page.locator(`details[data-testid="option-group"][data-group="${name}"]`);
}

test("options in groups, changed first, filtered from the keyboard, with gluster's help", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // a value that is not gluster's default (out of band: georep's sync stores it)
  if (!noLab) labSession("config", "sync_jobs", "5");
  const api = await openLabSession(page);
  const syncJobs = option(page, "sync_jobs");
  if (!noLab) {
    await expect(syncJobs.getByTestId("option-input")).toHaveValue("5", { timeout: 30_000 });
    // the order is taken when the page reads the options: read them again
    await page.reload();
    await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  }

  // four groups in this order; the commonly tuned open, the others folded
  await expect(page.getByTestId("option-group")).toHaveCount(4);
  const names = await page.getByTestId("option-group").evaluateAll((gs) => gs.map((g) => g.getAttribute("data-group")));
  expect(names).toEqual(["common", "advanced", "command", "read_only"]);
  await expect(group(page, "common")).toHaveAttribute("open", "");
  for (const g of ["advanced", "command", "read_only"]) await expect(group(page, g)).not.toHaveAttribute("open");

  // changed from the default: first in its group, marked, counted in the group's heading
  // (other tests may have changed more: a checkpoint set is a changed value too)
  const rows = await group(page, "common").getByTestId("option").evaluateAll((rs) =>
    rs.map((r) => [r.getAttribute("data-key"), r.getAttribute("data-changed")]),
  );
  const unchanged = rows.findIndex(([, c]) => c !== "true");
  expect(unchanged).toBeGreaterThan(0);
  expect(rows.slice(unchanged).every(([, c]) => c !== "true")).toBe(true);
  expect(rows.slice(0, unchanged).map(([k]) => k)).toContain("sync_jobs");
  await expect(syncJobs.getByTestId("option-changed")).toBeVisible();
  await expect(group(page, "common").getByTestId("option-group-count")).toContainText(/\d+ changed/);
  // gluster's own help text
  await expect(syncJobs).toContainText("Number of Syncer jobs");
  await expect(option(page, "sync_method")).toContainText("Sync method for data sync");
  // folded groups hide their rows until opened
  await expect(option(page, "rsync_options")).toBeHidden();

  // the keyboard: "/" goes to the filter, typing filters keys and help texts (any group opens
  // where something matches), Escape clears it
  await page.locator("h2#options").click();
  await page.keyboard.press("/");
  const filter = page.getByTestId("option-filter");
  await expect(filter).toBeFocused();
  await page.keyboard.type("rsync");
  await expect(option(page, "rsync_options")).toBeVisible();
  await expect(group(page, "command")).toHaveAttribute("open", "");
  // sync_method's help says "tar over ssh and rsync"; sync_jobs says nothing of rsync
  await expect(option(page, "sync_method")).toBeVisible();
  await expect(syncJobs).toBeHidden();
  await page.keyboard.press("Escape");
  await expect(filter).toHaveValue("");
  await expect(syncJobs).toBeVisible();
  await filter.fill("no-such-thing");
  await expect(page.getByTestId("no-option-matches")).toBeVisible();
  await filter.fill("");
  await expect(page.getByTestId("no-option-matches")).toHaveCount(0);
  // dashes or underscores alike
  await filter.fill("changelog-batch");
  await expect(option(page, "changelog_batch_size")).toBeVisible();
  await filter.fill("");

  // a folded group opens from the keyboard (a native disclosure)
  const advanced = group(page, "advanced");
  await advanced.locator("summary").focus();
  await page.keyboard.press("Enter");
  await expect(advanced).toHaveAttribute("open", "");
  await expect(option(page, "changelog_batch_size")).toBeVisible();
  // an input is reachable with Tab from the summary
  await page.keyboard.press("Tab");
  await expect(advanced.getByTestId("option-input").first()).toBeFocused();

  // REST says the same: the group and gluster's help text
  const http = await rest();
  const doc = await (await http.get(`${api}/options/sync_jobs`)).json();
  expect(doc.group).toBe("common");
  expect(doc.description).toBe("Number of Syncer jobs");
  await http.dispose();
  expect(errors).toEqual([]);
});
