import { describe, expect, it } from "vitest";
import { clearValues, keyComplete, keyInput, partFields } from "./keyparts";
import type { KeyPart } from "./bindings/KeyPart";

const oauth: KeyPart[] = [
  { id: "client_id", label: "Client ID", secret: false, hint: "" },
  { id: "client_secret", label: "Client secret", secret: true, hint: "" },
];
const single: KeyPart[] = [{ id: "key", label: "API key", secret: true, hint: "" }];

describe("key parts", () => {
  it("sends one value for single-part keys and named parts otherwise", () => {
    expect(keyInput(single, { key: "abc" })).toEqual({ value: "abc", parts: [] });
    expect(keyInput(oauth, { client_id: "id", client_secret: "s:e:c" })).toEqual({
      parts: [
        { id: "client_id", value: "id" },
        { id: "client_secret", value: "s:e:c" },
      ],
    });
  });

  it("is complete only when every part has a value", () => {
    expect(keyComplete(oauth, { client_id: "id" })).toBe(false);
    expect(keyComplete(oauth, { client_id: "id", client_secret: " " })).toBe(false);
    expect(keyComplete(oauth, { client_id: "id", client_secret: "x" })).toBe(true);
  });

  it("clears values and names the part fields", () => {
    const values = { client_id: "id", client_secret: "x" };
    clearValues(values);
    expect(values).toEqual({ client_id: "", client_secret: "" });
    expect(partFields(oauth)).toEqual(["value", "part:client_id", "part:client_secret"]);
  });
});
