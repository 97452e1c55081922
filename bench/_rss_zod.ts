import "zod";
await new Promise((r) => setTimeout(r, 2500));
