/** The elements of index.html the dashboard fills, looked up once. */
import { byId } from "./dom";

export function pageElements() {
  return {
    login: byId<HTMLFormElement>("login"),
    keyInput: byId<HTMLInputElement>("key"),
    loginError: byId("lerr"),
    signOut: byId<HTMLButtonElement>("out"),
    who: byId("who"),
    app: byId("app"),
    updated: byId("updated"),
    pools: byId("pools"),
    rangeButtons: [...document.querySelectorAll<HTMLButtonElement>("[data-range]")],
    utilTitle: byId("utitle"),
    utilChart: byId<SVGSVGElement>("uchart"),
    utilLegend: byId("ulegend"),
    callsChart: byId<SVGSVGElement>("cchart"),
    callsLegend: byId("clegend"),
    numbersTitle: byId("ntitle"),
    numbersBody: byId<HTMLTableElement>("numbers").tBodies[0]!,
    moreNumbers: byId<HTMLButtonElement>("more"),
    conversionsBody: byId<HTMLTableElement>("conversions").tBodies[0]!,
    conversionsEmpty: byId("conv-empty"),
  };
}

export type PageElements = ReturnType<typeof pageElements>;
