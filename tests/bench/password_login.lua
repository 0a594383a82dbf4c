-- password_login.lua: POST /auth/password for one of BENCH_USERS accounts
-- (bench1..benchN, password BENCH_PASSWORD), picked at random so that the
-- per-account brute-force limit never triggers: one argon2id verification
-- per request, the KDF cost dominates.
math.randomseed(os.time() + os.clock() * 1e6)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local users = tonumber(os.getenv("BENCH_USERS"))
local password = os.getenv("BENCH_PASSWORD")
request = function()
  local body = '{"login":"bench' .. math.random(users) .. '","password":"' .. password .. '"}'
  return wrk.format(nil, "/auth/password", nil, body)
end
