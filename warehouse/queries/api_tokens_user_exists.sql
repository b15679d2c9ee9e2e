-- Whether a reviewer account exists ($user_name), and whether it is disabled.
SELECT disabled FROM users WHERE name = $user_name;
