// The IDs the inventory's mocks give resources: one rule, in tools/infra-mock-ids.mjs, for the mocks and the
// tests that check which resource references which.
import { mockId as mockedId } from "../../../tools/infra-mock-ids.mjs";

export function mockId(type: string, name: string): string {
  const id = mockedId(type, name);
  if (id === undefined) throw new Error(`no mocked ID prefix for ${type}`);
  return id;
}
