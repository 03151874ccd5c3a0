import { test, expect } from "@playwright/test";
import { ADMIN_PW, ClustersPage, login } from "./pages";

test("the page hydrates and registers a cluster without a reload", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const clusters = new ClustersPage(page);

  // a stranger is sent to the login page (server-rendered before any wasm runs)
  const html = await (await page.request.get("/")).text();
  expect(html).toContain("Log in to georep");
  await login(page, "admin", ADMIN_PW);
  const rendered = await (await page.request.get("/")).text();
  expect(rendered).toContain("<h1>Clusters</h1>");

  await clusters.open();
  await expect(page.getByRole("navigation", { name: "main" }).getByRole("link")).toHaveText([
    "Clusters",
    "Volumes",
    "Sessions",
    "Operations",
    "Audit log",
  ]);

  // a value on window survives only if nothing reloads the document
  await page.evaluate(() => ((window as any).__noReload = "still here"));

  // the interactive control: opens the form on the client
  await expect(clusters.form).toHaveCount(0);
  await clusters.toggle.click();
  await expect(clusters.form).toBeVisible();
  await expect(clusters.toggle).toHaveAttribute("aria-expanded", "true");

  const name = `e2e-${Date.now() % 100000}`;
  const host = process.env.LAB_HOST ?? "localhost";
  await clusters.form.getByLabel("Name").fill(name);
  await clusters.form.getByLabel("Host of the trusted pool").fill(host);
  await clusters.form.getByRole("button", { name: "Register" }).click();

  // registration asks gluster first (glusterd may be busy with another transaction)
  // the server function stored it in SQLite; the list refetched without a reload
  await expect(clusters.row(name)).toBeVisible({ timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).__noReload)).toBe("still here");

  // a bad name gets a readable error from the server
  await clusters.form.getByLabel("Name").fill("bad name;rm");
  await clusters.form.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("alert")).toContainText("cluster name");
  expect(await page.evaluate(() => (window as any).__noReload)).toBe("still here");

  await page.screenshot({ path: "test-results/clusters.png", fullPage: true });
  expect(errors).toEqual([]);
});
