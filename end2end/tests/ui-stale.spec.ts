import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { ADMIN_PW, login } from "./pages";
import { ensureCluster, gluster, host, lab, rest, shots } from "./lab";

// A stale session on the pages: a session made with the CLI whose slave volume is then deleted
// with the CLI is marked stale in the sessions list and on its page (the reason shown), and its
// Clean up button (stop force, delete) removes it from gluster. The lab test stale.rs checks
// the same over REST, with the session running and gluster refusing its plain delete.
test.describe.configure({ mode: "serial" });

const MASTER = "uistalem";
const SLAVE = "uistales";

function labScript(...args: string[]) {
  execFileSync("bash", [lab, ...args], { encoding: "utf8" });
}

/** What gluster lists of MASTER's sessions. */
function glusterSessions(): string {
  try {
    return gluster("volume", "geo-replication", MASTER, "status", "--xml");
  } catch {
    return "";
  }
}

test.afterAll(() => {
  labScript("volume-delete", SLAVE);
  labScript("volume-delete", MASTER);
});

test("a session whose slave volume is gone is marked and cleaned up", async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await login(page, "admin", ADMIN_PW, "/");
  await ensureCluster(page);
  labScript("volume", MASTER, "--fresh");
  labScript("volume", SLAVE, "--fresh");
  gluster("volume", "geo-replication", MASTER, `${host}::${SLAVE}`, "create", "push-pem", "force");

  const api = await rest();
  const find = async () => {
    const list = await (await api.get("/api/georeplication-sessions")).json();
    return (list["georeplication-session"] ?? []).find((s: any) => s.master_volume.name === MASTER);
  };
  await expect.poll(find, { timeout: 60_000 }).toBeTruthy();
  const before = await find();
  expect(before.stale).toBeUndefined();

  gluster("volume", "stop", SLAVE, "force");
  gluster("volume", "delete", SLAVE);
  await expect.poll(async () => (await find())?.stale?.reason ?? "", { timeout: 60_000 }).toContain(
    `the slave volume ${SLAVE}`,
  );

  // the list marks it
  await page.goto("/sessions");
  const row = page.getByTestId("session").filter({ hasText: MASTER });
  await expect(row.getByTestId("stale")).toBeVisible({ timeout: 30_000 });

  // its page says why, and cleans it up
  await page.goto(`/sessions/${before.id}`);
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("stale-reason")).toContainText(`the slave volume ${SLAVE}`);
  await page.screenshot({ path: `${shots}/stale-session.png`, fullPage: true });
  await page.locator('button[data-action="cleanup"]').click();
  const dialog = page.getByTestId("dialog");
  await expect(dialog).toContainText("Clean up the stale session");
  await dialog.getByTestId("confirm").click();
  // gone: the page leaves for the sessions list, which no longer has it
  await expect(page).toHaveURL(/\/sessions$/, { timeout: 60_000 });
  await expect(page.getByTestId("session").filter({ hasText: MASTER })).toHaveCount(0, { timeout: 30_000 });
  expect(glusterSessions()).not.toContain(`::${SLAVE}`);
  await expect.poll(find, { timeout: 30_000 }).toBeFalsy();
  expect(errors).toEqual([]);
});
