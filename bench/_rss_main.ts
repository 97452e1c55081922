import "../src/main.ts";
await new Promise((r) => setTimeout(r, 2500));
