// Types of tools/infra-mock-ids.mjs for the tests that import it.
export const MOCK_ID_PREFIX: Readonly<Record<string, string>>;
export function mockHash(...parts: string[]): string;
export function mockId(type: string, name: string): string | undefined;
