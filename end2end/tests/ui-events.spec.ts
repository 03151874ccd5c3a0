import { test, expect, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN_PW, login } from "./pages";
import { ensureCluster, rest, shots } from "./lab";

// The audit log a page at a time: a filter, Older and Newer, the export. Its events are made
// over REST on a session georep knows (the lab's in CI): an option value refused before
// gluster sees it, so nothing changes on gluster.
test.describe.configure({ mode: "serial" });

const REFUSED_SETS = 60;

/** The REST address of a session georep has (waiting for the sync to find one). */
async function someSession(api: APIRequestContext): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(
      async () => {
        const clusters = await (await api.get("/api/clusters")).json();
        for (const c of clusters.cluster ?? []) {
          const volumes = await (await api.get(`${c.href}/glustervolumes`)).json();
          for (const v of volumes.gluster_volume ?? []) {
            const sessions = await (await api.get(`${v.href}/georeplication-sessions`)).json();
            found = sessions["georeplication-session"]?.[0]?.href;
            if (found) return found;
          }
        }
        return undefined;
      },
      { timeout: 60_000 },
    )
    .toBeTruthy();
  return found!;
}

/** The ids of the event rows shown, in order. */
async function shownIds(page: Page): Promise<number[]> {
  return page.getByTestId("event").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-id"))));
}

/** Every row shown is an event the filter selects. */
async function allMatch(page: Page) {
  const rows = page.getByTestId("event");
  const pairs = await rows.evaluateAll((rs) => rs.map((r) => `${r.getAttribute("data-action")}/${r.getAttribute("data-result")}`));
  expect(pairs.length).toBeGreaterThan(0);
  expect(new Set(pairs)).toEqual(new Set(["option_set/refused"]));
}

test("the audit log pages through a filter with Older and Newer, and exports it", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/");
  await ensureCluster(page);
  const api = await rest();
  const session = await someSession(api);
  for (let i = 0; i < REFUSED_SETS; i++) {
    const r = await api.put(`${session}/options/sync_jobs`, { data: { value: "0" } });
    expect(r.status()).toBe(400);
  }
  await api.dispose();

  await page.goto("/events");
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  const filters = page.getByTestId("event-filters");
  await filters.getByTestId("filter-action").fill("option_set");
  await filters.getByTestId("filter-result").selectOption("refused");
  await filters.getByTestId("filter-apply").click();
  await expect(page).toHaveURL(/[?&]action=option_set(&|$)/);
  await expect(page).toHaveURL(/[?&]result=refused(&|$)/);
  // a page at a time, every row of the filter; the form shows what it filters by
  const rows = page.getByTestId("event");
  await expect(rows).toHaveCount(50);
  await allMatch(page);
  await expect(filters.getByTestId("filter-action")).toHaveValue("option_set");
  await expect(filters.getByTestId("filter-result")).toHaveValue("refused");
  await expect(page.getByTestId("events-newer")).toHaveCount(0);
  const first = await shownIds(page);
  await page.screenshot({ path: `${shots}/audit-log-filtered.png`, fullPage: true });

  // Older: the next page of the same filter, all of it older
  await page.getByTestId("events-older").click();
  await expect(page).toHaveURL(/[?&]before=\d+/);
  await expect(page).toHaveURL(/[?&]action=option_set(&|$)/);
  await expect(rows.first()).not.toHaveAttribute("data-id", String(first[0]));
  await allMatch(page);
  const second = await shownIds(page);
  expect(Math.max(...second)).toBeLessThan(Math.min(...first));
  expect(first.length + second.length).toBeGreaterThanOrEqual(REFUSED_SETS);

  // Newer: back to the first page, nothing newer than it
  await page.getByTestId("events-newer").click();
  await expect(page).toHaveURL(/[?&]after=\d+/);
  await expect(rows.first()).toHaveAttribute("data-id", String(first[0]));
  expect(await shownIds(page)).toEqual(first);
  await expect(page.getByTestId("events-newer")).toHaveCount(0);

  // the export: the filter's events as a file, downloaded by the browser (not a page)
  const link = page.getByTestId("export-csv");
  await expect(link).toHaveAttribute("href", /^\/events\/export\?format=csv&.*action=option_set/);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toBe("georep-events.csv");
  const csv = await (await page.request.get((await link.getAttribute("href"))!)).text();
  const lines = csv.trim().split("\n");
  expect(lines[0]).toBe("id,at,actor,action,target,result,message,session_id,cluster_id,operation_id");
  expect(lines.length - 1).toBeGreaterThanOrEqual(first.length + second.length);
  expect(lines.slice(1).every((l) => l.includes(",option_set,") && l.includes(",refused,"))).toBe(true);

  // Clear: every event again, the form emptied
  await page.getByTestId("filter-clear").click();
  await expect(page).toHaveURL(/\/events$/);
  await expect(filters.getByTestId("filter-action")).toHaveValue("");
  await expect(rows).toHaveCount(50);
});
