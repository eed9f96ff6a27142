import { describe, expect, it } from "vitest";
import { parseAddressQuery, parseSmallNumber } from "./address-query.js";

const towns = [
  { name: "向島", chomeMax: 5 },
  { name: "東向島", chomeMax: 6 },
  { name: "業平", chomeMax: 5 },
  { name: "上野公園", chomeMax: 0 },
];

describe("parseSmallNumber", () => {
  it("reads digits and kanji numerals up to 99", () => {
    expect(["1", "23", "一", "四", "十", "十一", "二十", "二十三", "九十九"].map(parseSmallNumber)).toEqual([
      1, 23, 1, 4, 10, 11, 20, 23, 99,
    ]);
    expect(["", "〇", "一二", "十十", "百", "0"].map(parseSmallNumber)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("parseAddressQuery", () => {
  it("reads town, 丁目, 番 and 号 in the register's own form and in hyphens", () => {
    expect(parseAddressQuery("東京都墨田区業平四丁目7番11号", towns)).toEqual({
      town: "業平",
      chome: 4,
      block: 7,
      lot: 11,
      complete: true,
    });
    expect(parseAddressQuery("業平４－７－１１", towns)).toEqual({
      town: "業平",
      chome: 4,
      block: 7,
      lot: 11,
      complete: true,
    });
    expect(parseAddressQuery("業平4-7", towns)).toEqual({ town: "業平", chome: 4, block: 7, complete: true });
    expect(parseAddressQuery("業平 四丁目", towns)).toEqual({ town: "業平", chome: 4, complete: true });
    expect(parseAddressQuery("業平四丁目7番地", towns)).toEqual({
      town: "業平",
      chome: 4,
      block: 7,
      complete: true,
    });
    expect(parseAddressQuery("業平", towns)).toEqual({ town: "業平", complete: true });
  });

  it("prefers the longest town, reads 番-号 in a town without 丁目, and leaves a building for text", () => {
    expect(parseAddressQuery("東向島二丁目", towns)).toMatchObject({ town: "東向島", chome: 2 });
    expect(parseAddressQuery("上野公園7-11", towns)).toEqual({
      town: "上野公園",
      block: 7,
      lot: 11,
      complete: true,
    });
    expect(parseAddressQuery("向島二丁目5番8号 コーポ向島", towns)).toEqual({
      town: "向島",
      chome: 2,
      block: 5,
      lot: 8,
      complete: false,
    });
  });

  it("gives up on what it cannot read: no town, or a number that is not one", () => {
    expect(parseAddressQuery("レジデンス502", towns)).toBeUndefined();
    expect(parseAddressQuery("業平百丁目", towns)).toEqual({ town: "業平", complete: false });
  });
});
