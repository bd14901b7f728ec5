export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`spanless ${argv.join(" ")}\n`);
  return 0;
}
