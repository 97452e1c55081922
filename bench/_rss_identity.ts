import "@azure/identity";
await new Promise((r) => setTimeout(r, 2500));
