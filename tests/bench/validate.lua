-- validate.lua: POST /validate with a body of 20 properties (valid), so every
-- request runs the strict decoder and the validator over the whole schema.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"uid":"5f0c7c9e-6a57-4cde-9d0a-3f6f8b1e2a41","name":"hero_42","email":"hero@example.com",' ..
  '"level":42,"xp":1234567,"gold":9876543210,"gems":12,"ratio":0.875,"active":true,' ..
  '"region":"eu","mode":"ranked","joined":"2024-05-01T10:00:00Z","tags":["a","b","c"],' ..
  '"score":3100,"rank":"gold","friends":17,"guild":"knights","language":"en",' ..
  '"platform":"pc","bio":"likes long quests"}'
