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
