/**
 * The admin key lives in this tab's sessionStorage only: never in a URL, localStorage or a cookie.
 * It leaves the page only as the Authorization header of an API call (api.ts).
 */
const KEY = "dni.adminKey";

export const adminKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string): void => sessionStorage.setItem(KEY, key),
  clear: (): void => sessionStorage.removeItem(KEY),
};
