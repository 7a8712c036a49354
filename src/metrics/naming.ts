// The seed's naming convention: object-action, each word capitalised, separated by one regular
// space ("Product Clicked"). Checks are about form only; whether a word is an action is not
// guessed.
import type { NamingProblem } from "./model";

const CAMEL = /(^|[\s_-])\p{Ll}+\p{Lu}/u;

const rules: [NamingProblem["rule"], (name: string) => boolean, string][] = [
  ["whitespace", (name) => name !== name.trim() || /\s{2,}|[^\S ]/.test(name), "words are separated by one regular space, without leading or trailing space"],
  ["snake_case", (name) => name.includes("_"), "uses _ where a space belongs"],
  ["kebab_case", (name) => /\p{L}-\p{L}/u.test(name), "uses - between words where a space belongs"],
  // A word that starts in lower case and turns upper: "reportCreated", not "GitHub" or "SaaS".
  ["camel_case", (name) => CAMEL.test(name), "joins words in camelCase; separate them with spaces"],
  ["not_capitalized", (name) => name.split(/[\s_-]+/).some((word) => /^\p{Ll}/u.test(word)), "each word starts with a capital letter"],
  // One word however it is separated ("reportCreated" is flagged as camel_case instead).
  ["single_word", (name) => !/\s|_|\p{L}-\p{L}/u.test(name.trim()) && !CAMEL.test(name), "names an object and an action, e.g. \"Report Created\""],
];

export function namingProblems(name: string): NamingProblem[] {
  return rules.filter(([, breaks]) => breaks(name)).map(([rule, , message]) => ({ rule, message }));
}

/** The key under which spellings of one name meet: lower case, letters and digits only. */
export function spellingKey(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
}
