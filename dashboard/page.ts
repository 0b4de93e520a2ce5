/** The elements of index.html the dashboard fills, looked up once. */
import { byId } from "./dom";

const body = (id: string) => byId<HTMLTableElement>(id).tBodies[0]!;
const all = (selector: string) => [...document.querySelectorAll<HTMLButtonElement>(selector)];

export function pageElements() {
  return {
    login: byId<HTMLFormElement>("login"),
    keyInput: byId<HTMLInputElement>("key"),
    loginError: byId("lerr"),
    signOut: byId<HTMLButtonElement>("out"),
    who: byId("who"),
    app: byId("app"),
    updated: byId("updated"),
    failure: byId("failure"),
    failureText: byId("ftext"),
    retry: byId<HTMLButtonElement>("retry"),
    presetButtons: all("[data-preset]"),
    customForm: byId<HTMLFormElement>("custom"),
    customFrom: byId<HTMLInputElement>("cfrom"),
    customTo: byId<HTMLInputElement>("cto"),
    customError: byId("cerr"),
    rangeLabel: byId("rlabel"),
    totals: byId("totals"),
    callsChart: byId("cchart"),
    groupButtons: all("[data-group]"),
    groupHead: byId("ghead"),
    groupsBody: body("groups"),
    csvButton: byId<HTMLButtonElement>("csv"),
    callsBody: body("calls"),
    callsEmpty: byId("calls-empty"),
    callsNote: byId("calls-note"),
    detail: byId("detail"),
    detailTitle: byId("dtitle"),
    detailBody: byId("dbody"),
    detailClose: byId<HTMLButtonElement>("dclose"),
    deliveriesBody: body("deliveries"),
    deliveriesEmpty: byId("deliveries-empty"),
    pools: byId("pools"),
    rangeButtons: all("[data-range]"),
    utilChart: byId("uchart"),
    utilLegend: byId("ulegend"),
    numbersTitle: byId("ntitle"),
    replaceAll: byId<HTMLInputElement>("replace-all"),
    replaceNote: byId("replace-note"),
    numbersBody: body("numbers"),
    moreNumbers: byId<HTMLButtonElement>("more"),
    conversionsStatus: byId<HTMLUListElement>("conv-status"),
    conversionsBody: body("conversions"),
    conversionsEmpty: byId("conv-empty"),
    conversionsCheck: byId<HTMLButtonElement>("conv-check"),
    conversionsChecked: byId<HTMLUListElement>("conv-checked"),
    snippetTag: byId("tag"),
    origins: byId("origins"),
    retentionForm: byId<HTMLFormElement>("retention"),
    keepCalls: byId<HTMLInputElement>("keep-calls"),
    keepArchive: byId<HTMLInputElement>("keep-archive"),
    keepSave: byId<HTMLButtonElement>("keep-save"),
    keepNote: byId("keep-note"),
  };
}

export type PageElements = ReturnType<typeof pageElements>;
