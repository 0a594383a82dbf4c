-- economy.lua: wrk script of tests/bench/economy.sh: POST /transactions as an admin, each request a
-- transfer of 1..10 coins between two different random owners of ECON_OWNERS_FILE (one uid a line),
-- both approvals set so it executes at once, with its own Idempotency-Key (unique within the run:
-- ECON_RUN, the thread and a counter).

local threads = 0

function setup(thread)
	thread:set("thread_id", threads)
	threads = threads + 1
end

function init(args)
	owners = {}
	for line in io.lines(os.getenv("ECON_OWNERS_FILE")) do
		owners[#owners + 1] = line
	end
	auth = "Bearer " .. os.getenv("ECON_TOKEN")
	coin = os.getenv("ECON_COIN")
	run = os.getenv("ECON_RUN") or "0"
	counter = 0
	math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function request()
	counter = counter + 1
	local n = #owners
	local from = math.random(n)
	local to = math.random(n - 1)
	if to >= from then
		to = to + 1
	end
	local body = string.format(
		'{"from":"%s","to":"%s","resources":[{"resourceUid":"%s","quantity":%d}],"approval":{"from":true,"to":true}}',
		owners[from], owners[to], coin, math.random(10))
	local headers = {
		["Authorization"] = auth,
		["Content-Type"] = "application/json",
		["Idempotency-Key"] = "bench-" .. run .. "-" .. (thread_id or 0) .. "-" .. counter,
	}
	return wrk.format("POST", "/transactions", headers, body)
end
