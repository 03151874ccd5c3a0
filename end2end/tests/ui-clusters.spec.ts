import { test, expect, type Page } from "@playwright/test";
import { ADMIN_PW, VIEWER_PW, ClustersPage, login } from "./pages";
import { ensureCluster, rest, shots } from "./lab";

// Clusters registered, edited and removed from the clusters page. The first test needs no
// gluster at all: a cluster georep cannot reach (192.0.2.10 is TEST-NET-1) is still
// registered without asking gluster, edited and removed. The second needs a cluster with a
// session (the lab's).
test.describe.configure({ mode: "serial" });

const NAME = "e2e-unreachable";
const RENAMED = "e2e-renamed";

/** Removes what an earlier, interrupted run left (REST, as the admin). */
async function forget(...names: string[]) {
  const api = await rest();
  const list = await (await api.get("/api/clusters")).json();
  for (const c of list.cluster ?? []) {
    if (names.includes(c.name)) await api.delete(`${c.href}?force=true`);
  }
}

function row(page: Page, name: string) {
  return page.getByTestId("cluster").filter({ has: page.getByRole("link", { name, exact: true }) });
}

test.beforeAll(async () => forget(NAME, RENAMED));
test.afterAll(async () => forget(NAME, RENAMED));

test("register, edit and remove a cluster georep cannot reach", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await login(page, "admin", ADMIN_PW, "/");
  const clusters = new ClustersPage(page);
  await clusters.toggle.click();
  const form = clusters.form;
  await form.getByLabel("Name").fill(NAME);
  await form.getByLabel("Host of the trusted pool").fill("127.0.0.1");
  await form.getByLabel("Connection").selectOption("ssh");
  await form.getByLabel("SSH user").fill("geo");
  // nothing listens on port 1: asked first, gluster cannot be reached and nothing is stored
  await form.getByLabel("SSH port").fill("1");
  await form.getByRole("button", { name: "Register", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("gluster", { timeout: 30_000 });
  await expect(row(page, NAME)).toHaveCount(0);

  await form.getByLabel("Host of the trusted pool").fill("192.0.2.10");
  await form.getByLabel("SSH port").fill("2222");
  await form.getByLabel("Register without asking gluster now").check();
  await form.getByRole("button", { name: "Register", exact: true }).click();
  await expect(row(page, NAME).getByTestId("reached")).toHaveText("ssh as geo, port 2222");
  await page.screenshot({ path: `${shots}/clusters-registered.png`, fullPage: true });

  // edit: a bad port is refused with the server's reason, then a good edit is stored
  await row(page, NAME).getByTestId("edit-cluster").click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog.getByTestId("host-keys")).toContainText("192.0.2.10: no key recorded yet");
  await dialog.getByLabel("SSH port").fill("0");
  await dialog.getByLabel("Check that gluster answers").uncheck();
  await dialog.getByTestId("save-cluster").click();
  await expect(dialog.getByRole("alert")).toContainText("ssh port 0 is not between 1 and 65535");
  await dialog.getByLabel("Name").fill(RENAMED);
  await dialog.getByLabel("SSH port").fill("2200");
  await page.screenshot({ path: `${shots}/clusters-edit.png`, fullPage: true });
  await dialog.getByTestId("save-cluster").click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, RENAMED).getByTestId("reached")).toHaveText("ssh as geo, port 2200");
  await expect(row(page, NAME)).toHaveCount(0);

  // what the page shows is what REST shows
  const api = await rest();
  const list = await (await api.get("/api/clusters")).json();
  const doc = list.cluster.find((c: any) => c.name === RENAMED);
  expect([doc.connection, doc.ssh_user, doc.ssh_port]).toEqual(["ssh", "geo", 2200]);

  // remove: the dialog says what georep forgets; no session, so no warning
  await row(page, RENAMED).getByTestId("remove-cluster").click();
  await expect(dialog.getByTestId("remove-what")).toContainText("1 host(s), 0 volume(s) and 0 geo-replication session(s)");
  await expect(dialog.getByTestId("remove-sessions-warning")).toHaveCount(0);
  await dialog.getByTestId("confirm-remove").click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, RENAMED)).toHaveCount(0);
  expect((await api.get(doc.href)).status()).toBe(404);
  const events = await (await api.get("/api/events?limit=50")).json();
  const trail = events.event
    .filter((e: any) => e.action.startsWith("cluster_"))
    .map((e: any) => `${e.action} ${e.target} ${e.result}`);
  expect(trail).toEqual(expect.arrayContaining([
    `cluster_register ${NAME} failed`,
    `cluster_register ${NAME} ok`,
    `cluster_edit ${NAME} refused`,
    `cluster_edit ${NAME} ok`,
    `cluster_remove ${RENAMED} ok`,
  ]));
  expect(errors).toEqual([]);
});

test("removing a cluster with sessions asks first; Cancel keeps it", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/");
  await ensureCluster(page);
  await page.goto("/");
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  // the lab's cluster, once the sync has found its session
  const withSessions = page.getByTestId("cluster").filter({ has: page.getByTestId("session-count").filter({ hasNotText: /^0$/ }) }).first();
  await expect(withSessions).toBeVisible({ timeout: 60_000 });
  const name = await withSessions.getAttribute("data-name");
  await withSessions.getByTestId("remove-cluster").click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog.getByTestId("remove-sessions-warning")).toContainText("session(s)");
  await page.screenshot({ path: `${shots}/clusters-remove-ask.png`, fullPage: true });
  await dialog.getByTestId("cancel-remove").click();
  await expect(dialog).toHaveCount(0);
  await expect(row(page, name!)).toBeVisible();
  const list = await (await (await rest()).get("/api/clusters")).json();
  expect(list.cluster.map((c: any) => c.name)).toContain(name);
});

test("a viewer sees the clusters and no Register, Edit or Remove", async ({ page }) => {
  await login(page, "viewer", VIEWER_PW, "/");
  await expect(page.getByTestId("clusters")).toBeVisible();
  await expect(page.getByTestId("cluster").first()).toBeVisible();
  await expect(page.getByTestId("toggle-register")).toHaveCount(0);
  await expect(page.getByTestId("edit-cluster")).toHaveCount(0);
  await expect(page.getByTestId("remove-cluster")).toHaveCount(0);
});
