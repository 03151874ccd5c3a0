import { test, expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN_PW, login } from "./pages";
import { ensureCluster, rest, shots } from "./lab";

// gluster's pushed events turned on and off from the clusters page, on the lab (glustereventsd
// runs beside glusterd): each node's checks shown, gluster's own webhook list holding georep's
// URL while on and not after. That a pushed event refreshes at once is the Rust lab test's
// (gluster_events.rs, with the sync loop slowed to once an hour).
test.describe.configure({ mode: "serial" });

/** gluster's webhook list (what gluster-eventsapi copies to every peer). */
function glusterWebhooks(): string[] {
  try {
    return Object.keys(JSON.parse(readFileSync("/var/lib/glusterd/events/webhooks.json", "utf8")));
  } catch {
    return [];
  }
}

/** The name of the cluster of the lab's session (the shell spec registers it under a name of its own). */
async function labName(): Promise<string> {
  const api = await rest();
  const sessions = await (await api.get("/api/georeplication-sessions?master_volume=mastervol")).json();
  const cluster = await (await api.get(`/api/clusters/${sessions["georeplication-session"][0].host}`)).json();
  return cluster.name;
}

function labRow(page: Page, name: string) {
  return page.getByTestId("cluster").filter({ has: page.getByRole("link", { name, exact: true }) });
}

/** Turns events off over REST whatever a failed run left. */
async function off() {
  const api = await rest();
  const list = await (await api.get("/api/clusters")).json();
  for (const c of list.cluster ?? []) {
    if (c.gluster_events) await api.delete(`${c.href}/gluster-events`);
  }
}

test.afterAll(off);

test("gluster events on and off from the clusters page", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await login(page, "admin", ADMIN_PW, "/");
  await ensureCluster(page);
  await off();
  await page.reload();
  const name = await labName();
  const row = labRow(page, name);
  await expect(row.getByTestId("gluster-events")).toHaveText("polled only");

  await row.getByTestId("cluster-events").click();
  const dialog = page.getByTestId("dialog");
  await dialog.getByTestId("toggle-events").click();
  const checks = dialog.getByTestId("node-checks").getByRole("row");
  // header + webhook copied, glustereventsd, georep reached on the lab's one node
  await expect(checks).toHaveCount(4, { timeout: 60_000 });
  await expect(dialog.locator('tr[data-ok="false"]')).toHaveCount(0);
  await expect(dialog.getByTestId("toggle-events")).toHaveText("Turn events off");
  await page.screenshot({ path: `${shots}/gluster-events-on.png`, fullPage: true });
  const api = await rest();
  const list = await (await api.get("/api/clusters")).json();
  const lab = list.cluster.find((c: any) => c.name === name);
  expect(lab.gluster_events.url).toMatch(/\/hooks\/gluster\/[0-9a-f-]{36}$/);
  expect(glusterWebhooks()).toContain(lab.gluster_events.url);
  await dialog.getByTestId("close-events").click();
  // the nodes' test posts arrived
  await expect(row.getByTestId("gluster-events")).toContainText("pushed:", { timeout: 10_000 });
  await expect(row.getByTestId("gluster-events")).toHaveAttribute("data-on", "true");

  await row.getByTestId("cluster-events").click();
  await dialog.getByTestId("toggle-events").click();
  await expect(dialog.getByTestId("toggle-events")).toHaveText("Turn events on", { timeout: 60_000 });
  await expect(dialog.locator('tr[data-ok="false"]')).toHaveCount(0);
  expect(glusterWebhooks()).not.toContain(lab.gluster_events.url);
  await dialog.getByTestId("close-events").click();
  await expect(row.getByTestId("gluster-events")).toHaveText("polled only");
  expect(errors).toEqual([]);
});
