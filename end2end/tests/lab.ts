import { expect, request, type APIRequestContext, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { ADMIN_PW, login } from "./pages";

// What the browser tests share about the real gluster lab (scripts/gluster-lab.sh up): the
// lab's session mastervol -> HOST::slavevol, and a second slave volume made for a test.
export const host = process.env.LAB_HOST ?? "localhost";
export const lab = path.resolve(__dirname, "../../scripts/gluster-lab.sh");
export const SECOND = "slavevol3";
export const shots = "test-results";

/** The raw gluster CLI (out of band for georep), retried while glusterd is busy. */
export function gluster(...args: string[]): string {
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

export function labSession(...words: string[]): string {
  return gluster("volume", "geo-replication", "mastervol", `${host}::slavevol`, ...words);
}

/** The lab session's row in the sessions list. */
export function labRow(page: Page) {
  return page.getByTestId("session").filter({ has: page.locator('a[data-testid="session-link"]', { hasText: /^slavevol$/ }) });
}

export async function ensureCluster(page: Page) {
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

/** The REST API as the admin (HTTP Basic, JSON). */
export async function rest(): Promise<APIRequestContext> {
  return request.newContext({
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    extraHTTPHeaders: {
      Authorization: "Basic " + Buffer.from(`admin:${ADMIN_PW}`).toString("base64"),
      Accept: "application/json",
    },
  });
}

/** Opens the lab session's page as USER; its REST address (the DR panel's data-api). */
export async function openLabSession(page: Page, user = "admin", pw = ADMIN_PW): Promise<string> {
  await login(page, user, pw, "/");
  if (user === "admin") await ensureCluster(page);
  await page.goto("/sessions");
  await labRow(page).getByTestId("session-link").click({ timeout: 60_000 });
  await expect(page).toHaveURL(/\/sessions\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  const api = await page.getByTestId("dr").getAttribute("data-api");
  expect(api).toMatch(/^\/api\/clusters\/.+\/georeplication-sessions\/[0-9a-f-]{36}$/);
  return api!;
}
