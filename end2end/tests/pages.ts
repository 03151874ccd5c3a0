import { expect, type Page, type Locator } from "@playwright/test";

/** The clusters page (the home page). */
export class ClustersPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly toggle: Locator;
  readonly form: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole("heading", { name: "Clusters" });
    this.toggle = page.getByTestId("toggle-register");
    this.form = page.getByTestId("register-form");
  }

  async open() {
    await this.page.goto("/");
    await expect(this.heading).toBeVisible();
    // the marker turns "true" only once the wasm has hydrated the page
    await expect(this.page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  }

  row(name: string): Locator {
    return this.page.getByTestId("clusters").getByRole("row").filter({ hasText: name });
  }
}

/** Logs in through the login page; ends on `next` (default the clusters page), hydrated. */
export async function login(page: Page, user: string, password: string, next = "/") {
  await page.goto(next);
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
  const form = page.getByTestId("login-form");
  await form.getByLabel("User").fill(user);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByTestId("user")).toContainText(user);
  await expect(page.getByTestId("hydrated")).toHaveAttribute("data-hydrated", "true");
}

export const ADMIN_PW = process.env.GEOREP_ADMIN_PASSWORD ?? "e2e-admin-pw";
export const VIEWER_PW = process.env.GEOREP_VIEWER_PASSWORD ?? "e2e-viewer-pw";
