-- get_entry.lua: GET /entries/{id} for random ids of a 1,000,000-row table,
-- authenticated. BENCH_IDS names a file of uids (one per line), BENCH_TOKEN the
-- bearer token.
local ids = {}
local token = os.getenv("BENCH_TOKEN")
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
math.randomseed(os.time())
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/entries/" .. id, {["Authorization"] = "Bearer " .. token})
end
