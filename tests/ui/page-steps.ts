// Steps the UI specs share on one page: a full-page screenshot into the artifacts, moving to a view, acting as a
// profile.
import { mkdirSync } from "node:fs";
import { expect, type Page } from "@playwright/test";

export const SHOTS = "test-results/screenshots";

export function pageSteps(page: () => Page) {
  return {
    async shot(name: string): Promise<void> {
      mkdirSync(SHOTS, { recursive: true });
      await page().screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
    },
    async go(view: string): Promise<void> {
      await page().getByTestId(`nav-${view}`).click();
      await expect(page().getByTestId(`view-${view}`)).toBeVisible();
    },
    async actAs(profile: string): Promise<void> {
      await page().getByTestId("profile-switcher").selectOption({ label: profile });
      await expect(page().getByTestId("profile-switcher").locator("option:checked")).toHaveText(profile);
    },
  };
}
