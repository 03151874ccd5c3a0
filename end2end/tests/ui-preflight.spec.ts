import { test, expect } from "@playwright/test";
import { ADMIN_PW, login } from "./pages";
import { host, shots } from "./lab";

// The create dialog's pre-flight check against the real lab (issue 19): every check with its
// outcome from the nodes, the fix of a failure, the mountbroker's checks for a user other than
// root and what georep's set-up of the slave side would do. Nothing is created.
test("the create dialog's pre-flight check lists each check with its fix", async ({ page }) => {
  await login(page, "admin", ADMIN_PW, "/volumes");
  await page.getByRole("link", { name: "mastervol", exact: true }).click();
  await page.getByTestId("new-session").click();
  const form = page.getByTestId("new-session-form");
  const slaveHost = form.getByRole("textbox", { name: "Slave host" });
  await slaveHost.fill(host);
  await slaveHost.blur();
  const slaveVolume = form.getByRole("textbox", { name: "Slave volume" });
  await slaveVolume.fill("slavevol");
  await slaveVolume.blur();
  await form.getByTestId("preflight").click();
  const list = form.getByTestId("preflight-list");
  const item = (name: string) => list.locator(`[data-check="${name}"]`);
  await expect(item("ssh_from_master")).toHaveAttribute("data-outcome", "pass", { timeout: 60_000 });
  await expect(item("versions")).toHaveAttribute("data-outcome", "pass");
  // the lab's own session writes into slavevol: not empty, with the fix
  await expect(item("slave_empty")).toHaveAttribute("data-outcome", "fail");
  await expect(item("slave_empty")).toContainText("Fix: delete the files on the slave volume");
  // root: no mountbroker, no set-up offered
  await expect(item("mountbroker_root")).toHaveCount(0);
  await expect(form.getByLabel(/^Set up the slave side/)).toHaveCount(0);

  const user = form.getByRole("textbox", { name: "Slave user" });
  await user.fill("nosuchgeouser");
  await user.blur();
  await form.getByTestId("preflight").click();
  await expect(item("user_and_group")).toHaveAttribute("data-outcome", "fail", { timeout: 60_000 });
  await expect(item("user_and_group")).toContainText("no user nosuchgeouser");
  await expect(item("user_and_group")).toContainText("Fix:");
  await expect(item("ssh_from_master")).toHaveAttribute("data-outcome", "fail");
  await form.getByLabel(/^Set up the slave side/).check();
  await expect(item("user_and_group")).toContainText("georep's set-up of the slave side does this");
  // nothing gluster would not say: the lab's slave is started
  await expect(item("slave_started")).toHaveAttribute("data-outcome", "pass");
  await page.screenshot({ path: `${shots}/preflight.png`, fullPage: true });
  await form.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("dialog")).toHaveCount(0);
});
